import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { formatMs, elapsedMs, formatCost, formatDeadline, formatDuration, formatDurationLiteral, formatRelative, formatTimeOfDay, formatTimestamp, formatTokens } from '../../packages/protocol/src/index.js';

describe('run formatters: one way every view writes durations, tokens, cost and times', () => {
  it('durations in ms for people: ms under a second, one decimal under 10 s, then whole s, min + s, h + min', () => {
    const table: [number, string][] = [
      [0, '0 ms'], [-5, '0 ms'], [NaN, '0 ms'], [849.6, '850 ms'], [999.4, '999 ms'], [999.6, '1.0 s'], [1200, '1.2 s'], [9_949, '9.9 s'],
      [9_950, '10 s'], [42_000, '42 s'], [59_600, '1 min'], [60_000, '1 min'], [90_000, '1 min 30 s'], [185_000, '3 min 5 s'],
      [3_599_600, '1 h'], [7_500_000, '2 h 5 min'], [14_400_000, '4 h'],
    ];
    assert.deepEqual(table.map(([ms]) => formatDuration(ms)), table.map(([, text]) => text));
  });

  it('a length as the language writes it: the largest whole unit, else tenths of a second', () => {
    assert.deepEqual([259_200_000, 7_200_000, 5_400_000, 90_000, 1500, 250].map(formatDurationLiteral), ['3d', '2h', '90m', '90s', '1.5s', '250ms']);
    // the graph's labels use the same (a 90 s wait read `wait 1.5m` in the graph and `wait 90s` in the Runs view)
    assert.deepEqual([90_000, 5_400_000].map(formatMs), ['90s', '90m']);
  });

  it('tokens with separators and unit; cost with four decimals below a cent, a currency other than USD by its code', () => {
    assert.deepEqual([formatTokens(1), formatTokens(0), formatTokens(12345)], ['1 token', '0 tokens', '12,345 tokens']);
    assert.deepEqual([formatCost(0.0042), formatCost(0.01), formatCost(1.255), formatCost(3, 'EUR')], ['$0.0042', '$0.01', '$1.25', '3.00 EUR']);
  });

  it('times (UTC), relative times and deadline countdowns from a given now', () => {
    const now = Date.UTC(2026, 11, 4, 12, 0, 0);
    assert.equal(formatTimeOfDay('2026-12-04T14:03:09.120Z'), '14:03:09');
    assert.equal(formatTimestamp('2026-12-04T14:03:09.120Z'), '2026-12-04 14:03:09');
    assert.equal(formatTimestamp('soon'), 'soon');
    assert.equal(formatRelative(new Date(now + 185_000).toISOString(), now), 'in 3 min 5 s');
    assert.equal(formatRelative(new Date(now - 42_000).toISOString(), now), '42 s ago');
    assert.equal(formatRelative(new Date(now + 200).toISOString(), now), 'now');
    assert.equal(formatDeadline(new Date(now + 7_500_000).toISOString(), now), 'due in 2 h 5 min');
    assert.equal(formatDeadline(new Date(now - 180_000).toISOString(), now), 'overdue by 3 min');
    assert.equal(formatDeadline(undefined, now), 'no deadline');
    assert.equal(elapsedMs('2026-12-04T12:00:00Z', '2026-12-04T12:00:01.5Z'), 1500);
    assert.equal(elapsedMs('2026-12-04T12:00:01Z', '2026-12-04T12:00:00Z'), 0);
  });
});
