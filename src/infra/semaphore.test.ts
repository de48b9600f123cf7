import { describe, expect, it } from 'vitest';
import { Semaphore } from './semaphore.js';

/** Lets queued promise callbacks run. */
const settle = () => new Promise((r) => setImmediate(r));

/** Acquires `units`, notes `name` once granted, and resolves to the release. */
function take(s: Semaphore, units: number, name: string, order: string[]): Promise<() => void> {
  return s.acquire(units).then((release) => {
    order.push(name);
    return release;
  });
}

describe('Semaphore', () => {
  it('holds a count: the third waits until one of two is released, then goes', async () => {
    const s = new Semaphore(2);
    const order: string[] = [];
    const first = await s.acquire();
    await s.acquire();
    const third = take(s, 1, 'third', order);
    await settle();
    expect(order).toEqual([]);
    order.push('release');
    first();
    await third;
    expect(order).toEqual(['release', 'third']);
  });

  it('serves waiters of a count in arrival order', async () => {
    const s = new Semaphore(1);
    const first = await s.acquire();
    const order: string[] = [];
    const waiters = ['1', '2', '3'].map(async (n) => (await take(s, 1, n, order))());
    first();
    await Promise.all(waiters);
    expect(order).toEqual(['1', '2', '3']);
  });

  it('weighs units: small requests pass beside a large one while a second large one waits', async () => {
    const s = new Semaphore(32);
    const large = await s.acquire(20);
    const order: string[] = [];
    const secondLarge = take(s, 20, 'large', order);
    const small = take(s, 5, 'small', order);
    (await small)();
    expect(order).toEqual(['small']);
    large();
    (await secondLarge)();
    expect(order).toEqual(['small', 'large']);
  });

  it('lets a request larger than the capacity through, alone', async () => {
    const s = new Semaphore(10);
    const huge = await s.acquire(50);
    const order: string[] = [];
    const next = take(s, 1, 'small', order);
    await settle();
    expect(order).toEqual([]);
    huge();
    (await next)();
    expect(order).toEqual(['small']);
  });

  it('counts a release called twice once', async () => {
    const s = new Semaphore(1);
    const release = await s.acquire();
    release();
    const again = await s.acquire();
    release();
    const order: string[] = [];
    const next = take(s, 1, 'next', order);
    await settle();
    expect(order).toEqual([]);
    again();
    (await next)();
    expect(order).toEqual(['next']);
  });
});
