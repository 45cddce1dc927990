// vitest global setup for the integration project: starts the real local stack once, hands its
// coordinates to the test workers, and stops every process at the end.
import type { TestProject } from 'vitest/node';
import { runningPids } from './stack/process.js';
import { startStack, stopStack, type StackInfo } from './stack/stack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Nothing in the suite may reach a real AWS endpoint or instance metadata.
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  const stack = await startStack();
  project.provide('stack', stack.info);
  return async () => {
    await stopStack(stack, process.env.OKRA_KEEP_STACK === '1');
    const left = runningPids();
    if (left.length > 0) throw new Error(`stack processes still running after teardown: ${left.join(', ')}`);
  };
}
