/** Messages of the floor workflows, shared by bench/noop-workflow.ts and the benchmark's client. */
import { defineSignal, defineUpdate } from '@temporalio/workflow';

/** Returns its argument: the round-trip of an update that does nothing. */
export const pingUpdate = defineUpdate<number, [number]>('ping');
/** Starts one activity that sends one small mail, returns at once: the floor of "update → mail". */
export const pingMailUpdate = defineUpdate<number, [{ seq: number; to: string; pooled: boolean }]>('pingMail');
export const doneSignal = defineSignal('done');
