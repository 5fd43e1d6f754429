// Entry of the workflow bundle (contract: exports reviewWorkflow).
export { reviewWorkflow } from './review-workflow';
export { digestWorkflow } from './digest-workflow';
