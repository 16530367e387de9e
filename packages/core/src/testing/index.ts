export { MemoryBackend } from './memory-backend.js';
export { default as memoryModule, type MemoryConfig } from './memory-module.js';
export { emptyState, fileStore, inProcessStore, type MemoryState, type MemoryStore } from './memory-store.js';
export { conformanceSteps, describeConformance, type ConformanceOptions, type ConformanceStep } from './conformance.js';
export { directCallContext } from './call-context.js';
