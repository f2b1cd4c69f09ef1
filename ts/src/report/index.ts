// Analysis and the self-contained report of an experiment: learning curves with 95% CIs,
// paired-bootstrap significance against real data, "a fraction of real data is enough",
// SVG figures, HTML and markdown, all written by writeReport(). Definitions: docs/report.md.
export { analyze, type AnalyzeInput } from './analyze.js';
export type {
  Analysis,
  CurvePoint,
  FractionOfReal,
  FractionStatus,
  LearningCurve,
  MetricComparison,
  SeedComparison,
  Significance,
  SignificanceRow,
  Summary,
} from './types.js';
export { mean, sampleStd, summarize, tQuantile, tCdf, normalQuantile, normalCdf, lerp, inverseLerp } from './stats.js';
export { compareConditions, sortConditions } from './conditions.js';
export { learningCurveSvg, generatorQualitySvg, PALETTE, type ChartOptions } from './svg.js';
export { figures, type Figure } from './figures.js';
export { niceTicks, logTicks } from './ticks.js';
export { escapeXml, escapeHtml, escapeMarkdownCell } from './escape.js';
export { renderHtml } from './html.js';
export { renderMarkdown } from './markdown.js';
export { selectExamples, type SelectExamplesInput } from './examples.js';
export type { ReportMeta, ExampleTranslation } from './meta.js';
export { writeReport, type WriteReportInput, type WriteReportResult } from './write.js';
export { findChromium, runChromium, CHROMIUM_NAMES } from './chromium.js';
export { writeFileAtomic } from '../common/atomic.js';
