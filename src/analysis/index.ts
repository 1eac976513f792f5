/** The analysis layer: run directory → AnalysisDocument (metrics spec, section G), and its table. */
export * from './document.js';
