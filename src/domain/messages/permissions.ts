import { permission } from '../access/authorize.ts';

/** Every signed-in user has an inbox. */
export const canReadMessages = permission('messages.read', ['volunteer', 'coordinator', 'clerk', 'office', 'admin']);
/** A coordinator sets the channel (inbox only / SMS too) for a member in scope without a smartphone. */
export const canSetMemberChannel = permission('messages.member_channel', ['coordinator']);
/** The top office edits the SMS templates and the network signature. */
export const canEditSmsTemplates = permission('messages.templates', ['admin']);
