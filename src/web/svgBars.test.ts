import { describe, expect, it } from 'vitest';
import type { ChartSpec } from './statsCharts.js';
import { svgBars } from './svgBars.js';

const chart = (over: Partial<ChartSpec>): ChartSpec => ({
  id: 'c',
  title: 'Demandes par CDAS',
  kind: 'bar',
  labels: ['CDAS <Rennes> & Co', 'CDAS Saint-Méen-le-Grand et Montauban-de-Bretagne réunis'],
  series: [{ label: 'Demandes', data: [7, 3], color: '#12355b' }],
  stacked: false,
  horizontal: true,
  percent: false,
  ...over,
});

describe('SVG bar charts for the printed report', () => {
  it('writes every label, escaped, long ones wrapped, and every value', () => {
    const svg = svgBars(chart({}));
    expect(svg).toContain('CDAS &lt;Rennes&gt; &amp; Co');
    expect(svg).not.toContain('<Rennes>');
    // Wrapped at a space onto two lines, nothing cut.
    expect(svg).toContain('>CDAS Saint-Méen-le-Grand et<');
    expect(svg).toContain('>Montauban-de-Bretagne réunis<');
    expect(svg).toMatch(/>7<\/text>/);
    expect(svg).toMatch(/>3<\/text>/);
    expect(svg).toContain('<title>Demandes par CDAS</title>');
  });

  it('draws percentages on a scale to 100 % with a decimal comma, a dash where there is no share', () => {
    const svg = svgBars(
      chart({
        labels: ['janv.', 'févr.'],
        series: [
          { label: 'Standard', data: [66.7, null], color: '#12355b' },
          { label: 'Urgents', data: [100, 50], color: '#d9822b' },
        ],
        percent: true,
      }),
    );
    expect(svg).toContain('>66,7\u00a0%<');
    expect(svg).toContain('>100\u00a0%<');
    expect(svg).toContain('>—<');
    // The legend names both series.
    expect(svg).toContain('>Standard<');
    expect(svg).toContain('>Urgents<');
  });

  it('says when there is nothing to draw', () => {
    expect(
      svgBars(chart({ labels: [], series: [{ label: 'Demandes', data: [], color: '#000' }] })),
    ).toContain('Rien à montrer sur la période.');
  });
});
