// The IPC trusted-sender rule, kept free of the electron import so it is unit-tested under plain Node.

/** What the rule reads of an IPC event: the frame that sent it. */
export interface SenderFrameLike {
  senderFrame: { parent: unknown; url: string } | null | undefined;
}

/** Only the top-level frame of our own page may call: not an iframe, not a page the window was somehow navigated to. */
export function isTrustedSender(event: SenderFrameLike, isOwnUrl: (url: string) => boolean): boolean {
  const frame = event.senderFrame;
  return frame !== null && frame !== undefined && frame.parent === null && isOwnUrl(frame.url);
}
