export { conformanceSteps, describeConformance, type ConformanceOptions, type ConformanceStep } from './conformance.js';
export { directCallContext } from './call-context.js';
