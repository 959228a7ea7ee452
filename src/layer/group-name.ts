/**
 * Group names follow Django Channels' rule (ASCII letters, digits, `_`, `-`, `.`; here at most 160
 * characters). They are embedded in Redis keys and channels as they are: without `:`, `*`, `?`,
 * `[` or spaces, no name can reach another key, channel or pattern.
 */
export type GroupName = string & { readonly __brand: 'GroupName' };

/** Room for the longest name the services make: `chat.<64 chars>_<64 chars>` is 134. */
const GROUP_NAME = /^[A-Za-z0-9_.-]{1,160}$/;

export class InvalidGroupNameError extends Error {
  constructor(name: string) {
    super(`invalid group name: ${JSON.stringify(name.slice(0, 120))}`);
    this.name = 'InvalidGroupNameError';
  }
}

export function isGroupName(name: string): name is GroupName {
  return GROUP_NAME.test(name);
}

export function groupName(name: string): GroupName {
  if (!isGroupName(name)) throw new InvalidGroupNameError(name);
  return name;
}
