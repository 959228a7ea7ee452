import type { HistoryRead } from './channel-layer';
import type { NumberedFrame } from '../wire/numbered';

/** What a layer holds of a group: the ids of its first and last message since its state began. */
export interface GroupState {
  first: number;
  last: number;
}

/**
 * Both layers' answer to a history read, from what they hold: the group's state (null when it
 * has none: never sent to, expired, or lost with Redis), the id of the oldest frame still in
 * history, and the frames after `start`. A frame after `start` is missing when history no longer
 * reaches back to `start + 1`; `start` 0 means "from the beginning", which is missing something
 * only once the group's first messages were trimmed. A `start` from before the group's state
 * began (an earlier life, lost) is always a gap: what came after it cannot be known.
 */
export function toHistoryRead(
  start: number,
  state: GroupState | null,
  oldest: number | null,
  frames: NumberedFrame[],
): HistoryRead {
  if (!state) return { gap: start > 0 ? { since: start, first: null } : null, frames: [], through: null };
  if (start >= state.last) return { gap: null, frames: [], through: state.last };
  const missing = oldest === null || (start === 0 ? oldest > state.first : oldest > start + 1);
  return { gap: missing ? { since: start, first: oldest } : null, frames, through: state.last };
}
