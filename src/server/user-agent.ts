/** The client name in a User-Agent, as Zulip's parse_user_agent reads it ("ZulipMobile/27.1 (…)" → ZulipMobile). */
export function userAgentName(userAgent: string | undefined): string {
  return /^([^/ ]*[^0-9/(]*)/.exec(userAgent ?? "")?.[1]?.trim() ?? "";
}
