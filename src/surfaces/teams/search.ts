import { z } from 'zod';
import { OptionsSource, type Choice } from '../../chat/reply.ts';

/**
 * Teams dynamic typeahead for `search` form fields. cards.ts renders such a field as an
 * `Input.ChoiceSet` with `choices.data: { type: 'Data.Query', dataset: <options source> }`; while
 * someone types, Teams sends an `application/search` invoke whose value is
 * `{ queryText, dataset, queryOptions: { skip, top } }` and shows the results of the invoke response.
 * The transport answers it with `engine.options({ source, query })` through these two helpers.
 */

/** Teams shows at most 15 options in a typeahead dropdown. */
export const MAX_SEARCH_RESULTS = 15;

export const SEARCH_RESPONSE_TYPE = 'application/vnd.microsoft.search.searchResponse';

export interface SearchInvokeResponse {
  status: 200;
  body: { type: typeof SEARCH_RESPONSE_TYPE; value: { results: Array<{ title: string; value: string }> } };
}

/** The `application/search` invoke response for the engine's options (the first 15). */
export const searchResponse = (choices: Choice[]): SearchInvokeResponse => ({
  status: 200,
  body: {
    type: SEARCH_RESPONSE_TYPE,
    value: { results: choices.slice(0, MAX_SEARCH_RESULTS).map((c) => ({ title: c.label, value: c.value })) },
  },
});

const SearchInvoke = z.object({
  queryText: z.string().max(200).optional(),
  dataset: OptionsSource,
  queryOptions: z
    .object({
      skip: z.number().int().min(0).max(10_000).optional(),
      top: z.number().int().min(0).max(1_000).optional(),
    })
    .passthrough()
    .optional(),
  /** Values of the card's other inputs when the Data.Query asks for them (`associatedInputs`). */
  data: z.record(z.string(), z.unknown()).optional(),
});

export interface SearchQuery {
  /** The field's options source (`OptionsSource`), as the card named it. */
  source: string;
  /** What was typed so far; empty for the first look. */
  query: string;
}

/** Reads an `application/search` invoke value; null for anything that is not a query for one of our sources. */
export const parseSearchInvoke = (value: unknown): SearchQuery | null => {
  const parsed = SearchInvoke.safeParse(value);
  if (!parsed.success) return null;
  return { source: parsed.data.dataset, query: (parsed.data.queryText ?? '').trim() };
};
