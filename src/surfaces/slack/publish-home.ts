import type { Actor } from '../../chat/actor.ts';
import type { Reply } from '../../chat/reply.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Delivery } from './deliver.ts';
import type { Identity } from './identity.ts';
import { slackError, type WebClient } from './web.ts';

/** Publishes a user's Home tab (views.publish): on app_home_opened and after they decide from it. */
export interface HomePublisher {
  publish(client: WebClient, teamId: string, userId: string): Promise<void>;
}

export const createHomePublisher = (d: {
  identity: Identity;
  delivery: Delivery;
  logger: Logger;
  build: (actor: Actor) => Promise<Reply>;
}): HomePublisher => ({
  publish: async (client, teamId, userId) => {
    const actor = await d.identity.actor(client, teamId, userId);
    const m = await d.delivery.render(await d.build(actor));
    try {
      // The table and data_visualization blocks are documented for messages; views are not said
      // to take them, so the Home tab gets their text form.
      await client.views.publish({ user_id: userId, view: { type: 'home', blocks: m.fallbackBlocks ?? m.blocks } });
    } catch (e) {
      d.logger.warn({ err: e, slackError: slackError(e), userId }, 'could not publish the Home tab');
    }
  },
});
