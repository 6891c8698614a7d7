/**
 * The subset of Block Kit our renderer emits, and Slack's limits for it. Own types rather than
 * @slack/types: that package is only a transitive dependency, and a narrow union lets the renderer
 * and its tests see exactly which shapes can leave this folder. Every member is assignable to
 * Bolt's `(KnownBlock | Block)[]`.
 *
 * Limits are from the Block Kit reference (docs.slack.dev/reference/block-kit/...).
 */
export interface PlainText {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}
export interface MrkdwnText {
  type: 'mrkdwn';
  text: string;
}

export interface SlackButton {
  type: 'button';
  text: PlainText;
  action_id: string;
  value?: string;
  style?: 'primary' | 'danger';
}

export type SlackBlock =
  | { type: 'header'; text: PlainText }
  | { type: 'section'; text: MrkdwnText }
  | { type: 'section'; fields: MrkdwnText[] }
  | { type: 'actions'; elements: SlackButton[] }
  | { type: 'context'; elements: MrkdwnText[] };

export const SLACK_LIMITS = {
  /** Blocks in one message (modals and the Home tab allow 100). */
  blocksPerMessage: 50,
  headerText: 150,
  sectionText: 3000,
  fieldsPerSection: 10,
  fieldText: 2000,
  elementsPerActions: 25,
  elementsPerContext: 10,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  /**
   * The top-level `text` of chat.postMessage: Slack truncates past 40,000 characters, and the brief
   * for this surface keeps the notification fallback short.
   */
  fallbackText: 4000,
  /**
   * Undocumented cumulative limit: chat.postMessage answers `msg_blocks_too_long` once the text of
   * all blocks passes roughly 12,000 characters (slackapi/bolt-js#2509: rejected at ~13,200;
   * #2867: rejected at 11,341 counting only `.text`). We stay well below it.
   */
  messageTextBudget: 10_000,
} as const;

/** Every string a user can read in a block: what counts toward `messageTextBudget`. */
export const blockTextLength = (b: SlackBlock): number => {
  switch (b.type) {
    case 'header':
      return b.text.text.length;
    case 'section':
      return 'text' in b ? b.text.text.length : b.fields.reduce((n, f) => n + f.text.length, 0);
    case 'actions':
      return b.elements.reduce((n, e) => n + e.text.text.length, 0);
    case 'context':
      return b.elements.reduce((n, e) => n + e.text.length, 0);
  }
};
