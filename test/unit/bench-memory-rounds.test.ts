/** The memory benchmark's comparison: round order and the medians behind the review-vs-floor ratio. */
import { compareRounds, roundOrder } from '../../bench/phases/memory';
import type { MemoryKind, MemoryPoint, MemoryRound } from '../../bench/phases/memory';

const pt = (open: number, rssMB: number, workflowHeapMB = 0): MemoryPoint => ({ open, cached: open, rssMB, heapUsedMB: 0, externalMB: 0, workflowHeapMB });

function round(kind: MemoryKind, levels: number[], slopeMB: number[], heap: number[] = slopeMB.map(() => 0)): MemoryRound {
  return { kind, idle: pt(0, 0), warm: pt(100, 0), points: levels.map((l) => pt(l, 0)), slopeMB, workflowHeapSlopeMB: heap, cpuMsPerStart: 0 };
}

describe('roundOrder', () => {
  it('alternates floor and review in ABBA order, so drift over the phase falls on both alike', () => {
    expect(roundOrder(1)).toEqual(['floor', 'review']);
    expect(roundOrder(2)).toEqual(['floor', 'review', 'review', 'floor']);
    expect(roundOrder(3)).toEqual(['floor', 'review', 'review', 'floor', 'floor', 'review']);
  });
});

describe('compareRounds', () => {
  it('takes the median of each kind at each level and the ratio review ÷ floor', () => {
    const rounds = [
      round('floor', [1000], [60], [20]),
      round('review', [1000, 5000], [90, 80], [40, 38]),
      round('review', [1000], [100], [44]),
      round('floor', [1000, 5000], [80, 64], [22, 21]),
    ];
    expect(compareRounds(rounds, [1000, 5000])).toEqual([
      { level: 1000, floorMB: 70, reviewMB: 95, ratio: 1.36, floorHeapMB: 21, reviewHeapMB: 42, rounds: { floor: 2, review: 2 } },
      { level: 5000, floorMB: 64, reviewMB: 80, ratio: 1.25, floorHeapMB: 21, reviewHeapMB: 38, rounds: { floor: 1, review: 1 } },
    ]);
  });

  it('gives no ratio where a kind has no round at the level', () => {
    const [c] = compareRounds([round('review', [1000], [90])], [1000]);
    expect(c).toMatchObject({ reviewMB: 90, floorMB: null, ratio: null, rounds: { floor: 0, review: 1 } });
  });
});
