import { z } from 'zod';
import { errorCodes } from '../errors.ts';
import { mentionsAsText } from './mention.ts';

/**
 * The neutral reply every surface renders: Block Kit on Slack, Adaptive Cards on Teams, HTML in the
 * console. Blocks say what to show, never how; text is plain with light markdown (*bold*, `code`).
 */
/** One option of a choice: what people read, and what comes back in `Interaction.inputs`. */
export const Choice = z.object({ label: z.string().min(1).max(75), value: z.string().min(1).max(150) });
export type Choice = z.infer<typeof Choice>;

/**
 * An options source: `name?param=value&…`, e.g. `resources?type=instance&action=stop`. The engine
 * answers `ConversationEngine.options` from the source a capability registered under that name.
 */
export const OptionsSource = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[a-z][a-z0-9_]*(\?[\w.=&%-]*)?$/, 'must look like name?param=value&…');

/**
 * One input of a form: a choice from fixed options (`select`), free text, or a choice searched as
 * the person types (`search`: options come from `source`, for lists too long to send, like a
 * fleet of instances; Slack external_select, a Teams typeahead, a console datalist).
 */
export const FormField = z
  .object({
    /** Key of the value in `Interaction.inputs`. */
    name: z.string().min(1).max(50),
    label: z.string().min(1).max(100),
    kind: z.enum(['select', 'text', 'search']),
    required: z.boolean(),
    options: z.array(Choice).max(100).optional(),
    source: OptionsSource.optional(),
    placeholder: z.string().max(150).optional(),
    multiline: z.boolean().optional(),
  })
  .refine((f) => (f.kind === 'search') === (f.source !== undefined), {
    message: 'a search field needs a source, and only a search field has one',
    path: ['source'],
  });
export type FormField = z.infer<typeof FormField>;

/**
 * Input to collect before a button's interaction is sent: Slack opens a modal, Teams shows
 * Adaptive Card inputs, the console an inline form. The values arrive in `Interaction.inputs`.
 */
export const Form = z.object({
  title: z.string().min(1).max(24),
  submitLabel: z.string().min(1).max(24),
  fields: z.array(FormField).min(1).max(10),
});
export type Form = z.infer<typeof Form>;

export const Button = z.object({
  /** Routed back in an Interaction, e.g. `change.approve`. */
  actionId: z.string().min(1).max(100),
  label: z.string().min(1).max(75),
  /** Opaque argument, e.g. a change id. */
  value: z.string().max(2000),
  style: z.enum(['primary', 'danger']).optional(),
  /** When set, the surface collects these inputs first (e.g. Reject asks for a reason). */
  form: Form.optional(),
});
export type Button = z.infer<typeof Button>;

/** Most categories (bars, points, slices) a chart carries; surfaces may show fewer natively. */
export const MAX_CHART_CATEGORIES = 50;
/** Most series a chart carries (Slack draws at most 6). */
export const MAX_CHART_SERIES = 6;

/**
 * A chart: bar, line, area or pie. `values[i]` of each series belongs to `categories[i]`; a pie
 * has one series. Surfaces draw it natively where they can (Slack data_visualization, Teams chart
 * elements, an SVG in the console) and always keep the numbers readable as text (notifications,
 * screen readers, clients that cannot draw it): see `chartText`.
 */
export const ChartBlock = z
  .object({
    type: z.literal('chart'),
    kind: z.enum(['bar', 'line', 'area', 'pie']),
    title: z.string().min(1).max(200),
    categories: z.array(z.string().min(1).max(100)).min(1).max(MAX_CHART_CATEGORIES),
    series: z
      .array(z.object({ name: z.string().min(1).max(100), values: z.array(z.number().finite()) }))
      .min(1)
      .max(MAX_CHART_SERIES),
    /** What the values count, shown with them: `USD/month`, `%`, `instances`. */
    unit: z.string().max(30).optional(),
  })
  .refine((c) => c.series.every((s) => s.values.length === c.categories.length), {
    message: 'every series has one value per category',
    path: ['series'],
  })
  .refine((c) => c.kind !== 'pie' || (c.series.length === 1 && c.series[0]!.values.every((v) => v >= 0)), {
    message: 'a pie has one series of values ≥ 0',
    path: ['series'],
  });
export type ChartBlock = z.infer<typeof ChartBlock>;

export const Block = z.discriminatedUnion('type', [
  z.object({ type: z.literal('header'), text: z.string() }),
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('fields'), fields: z.array(z.object({ label: z.string(), value: z.string() })) }),
  z.object({ type: z.literal('table'), columns: z.array(z.string()), rows: z.array(z.array(z.string())) }),
  z.object({ type: z.literal('actions'), buttons: z.array(Button) }),
  z.object({ type: z.literal('context'), text: z.string() }),
  ChartBlock,
]);
export type Block = z.infer<typeof Block>;

export const Reply = z.object({
  /** Plain-text fallback for notifications and screen readers. */
  text: z.string(),
  blocks: z.array(Block),
  /** Set when the answer comes from the local sandbox, not a real cloud. */
  sandbox: z.boolean().optional(),
  /**
   * Set on a change request card: surfaces remember where each copy was posted so that every copy
   * can be updated in place after a decision.
   */
  changeId: z.string().optional(),
  /** Only the asking user should see it (Slack ephemeral; console: shown to that user only). */
  ephemeral: z.boolean().optional(),
  /** Set by the engine: id of this reply in the stored conversation history. */
  messageId: z.string().optional(),
  /**
   * Set on the answer to a form submission whose inputs were not valid: field name → message.
   * Surfaces show them on the fields (Slack: `response_action: errors`) and keep the form open.
   */
  fieldErrors: z.record(z.string(), z.string()).optional(),
  /**
   * Set by the engine on an answer that reports a refusal or a failure: the error's code
   * (`forbidden`, `not_found`, `conflict` for an approval held by a freeze or a window,
   * `unavailable` for a database outage, `internal` for a bug). Surfaces show the text as usual;
   * a caller that answers with a status (the dashboard's decisions) reads this, never the text.
   */
  errorCode: z.enum(errorCodes).optional(),
});
export type Reply = z.infer<typeof Reply>;

export type BlockOf<T extends Block['type']> = Extract<Block, { type: T }>;

/** Builds a Reply from blocks, deriving the plain-text fallback from them when none is given. */
export const reply = (blocks: Block[], opts: Partial<Omit<Reply, 'blocks'>> = {}): Reply => ({
  // The fallback is plain text: a mention reads `@Name` there (surfaces draw mentions in blocks only).
  text: opts.text !== undefined ? mentionsAsText(opts.text) : plainText(blocks),
  blocks,
  ...(opts.sandbox ? { sandbox: true } : {}),
  ...(opts.changeId !== undefined ? { changeId: opts.changeId } : {}),
  ...(opts.ephemeral !== undefined ? { ephemeral: opts.ephemeral } : {}),
  ...(opts.errorCode !== undefined ? { errorCode: opts.errorCode } : {}),
});

export const textReply = (text: string, opts: Partial<Omit<Reply, 'blocks' | 'text'>> = {}): Reply =>
  reply([{ type: 'text', text }], { ...opts, text });

/** A short plain rendering of blocks, used as the notification fallback. */
export const plainText = (blocks: Block[]): string => {
  const parts: string[] = [];
  for (const b of blocks) {
    switch (b.type) {
      case 'header':
      case 'text':
      case 'context':
        parts.push(b.text);
        break;
      case 'fields':
        parts.push(b.fields.map((f) => `${f.label}: ${f.value}`).join(', '));
        break;
      case 'table':
        parts.push(`${b.rows.length} row${b.rows.length === 1 ? '' : 's'}`);
        break;
      case 'chart':
        parts.push(chartText(b));
        break;
      case 'actions':
        break;
    }
  }
  return mentionsAsText(parts.join('\n')).slice(0, 3000);
};

const formatValue = (v: number): string => v.toLocaleString('en-US', { maximumFractionDigits: 2 });

/**
 * The numbers of a chart as text, e.g. `Monthly cost by service (USD/month): checkout 120, api 80`
 * (one line per series when there are several): what a notification, a screen reader or a client
 * that cannot draw the chart shows.
 */
export const chartText = (c: ChartBlock): string => {
  const unit = c.unit ? ` (${c.unit})` : '';
  const line = (values: number[]) => c.categories.map((cat, i) => `${cat} ${formatValue(values[i]!)}`).join(', ');
  if (c.series.length === 1) return `${c.title}${unit}: ${line(c.series[0]!.values)}`;
  return [`${c.title}${unit}:`, ...c.series.map((s) => `${s.name}: ${line(s.values)}`)].join('\n');
};
