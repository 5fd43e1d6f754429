/** The worker's own settings from the environment (shared/config.ts): the activity slots beside the SMTP pool. */
import { ConfigError, loadConfig } from '../../shared/config';

test('WORKER_MAX_ACTIVITIES sets the activity slots; unset leaves the SDK default', () => {
  expect(loadConfig({ WORKER_MAX_ACTIVITIES: '20' }).maxConcurrentActivities).toBe(20);
  expect(loadConfig({}).maxConcurrentActivities).toBeUndefined();
  expect(loadConfig({ WORKER_MAX_ACTIVITIES: ' ' }).maxConcurrentActivities).toBeUndefined();
});

test('a WORKER_MAX_ACTIVITIES that is not a whole number of at least 1 is refused by name', () => {
  for (const bad of ['0', '-3', '2.5', 'many']) {
    expect(() => loadConfig({ WORKER_MAX_ACTIVITIES: bad })).toThrow(ConfigError);
    expect(() => loadConfig({ WORKER_MAX_ACTIVITIES: bad })).toThrow(/WORKER_MAX_ACTIVITIES/);
  }
});

test('WORKER_MAX_CACHED_WORKFLOWS sizes the workflow cache; anything but a whole number is refused by name', () => {
  expect(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '2000' }).maxCachedWorkflows).toBe(2000);
  expect(loadConfig({}).maxCachedWorkflows).toBeUndefined();
  for (const bad of ['-1', '1.5', 'lots']) expect(() => loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: bad })).toThrow(/WORKER_MAX_CACHED_WORKFLOWS/);
});
