export type { AnalyzeOptions, Analyzer, AnalyzerSettings } from './analyzeMail.js';
export { createAnalyzer } from './analyzeMail.js';
export { analyzerSettings } from './settings.js';
export type * from './types.js';
