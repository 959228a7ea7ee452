/**
 * Group names follow Django Channels' rule (ASCII letters, digits, `_`, `-`, `.`; here at most 100
 * characters). They are embedded in Redis keys and channels as they are: without `:`, `*`, `?`,
 * `[` or spaces, no name can reach another key, channel or pattern.
 */
export type GroupName = string & { readonly __brand: 'GroupName' };

const GROUP_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

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
