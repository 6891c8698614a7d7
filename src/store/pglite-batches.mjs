// pglite-socket 0.2.17 puts every protocol message of every connection in one FIFO in front of the
// single PGlite session, and keeps one connection's messages together only inside an explicit
// transaction. An extended-query batch (Parse, Bind, Describe, Execute … Sync) from one connection
// can then be split by another connection's messages, and the session mixes them up: "bind message
// supplies 5 parameters, but prepared statement "" requires 2" (seen here with 8 pooled clients).
// keepBatchesTogether replaces the queue's scheduler so that a connection that has started a batch
// keeps the session until its Sync (or a simple Query), on top of the transaction rule.
// A failing message also no longer stalls the queue for good (the original returns with
// `processing` still set).

const SYNC = 0x53; // 'S'
const QUERY = 0x51; // 'Q'
// Parse, Bind, Describe, Execute, Close, Flush: messages that open or continue a batch.
const EXTENDED = new Set([0x50, 0x42, 0x44, 0x45, 0x43, 0x48]);

export const keepBatchesTogether = (queue) => {
  let batchOwner = null;

  const next = () => {
    const owner = batchOwner ?? (queue.db.isInTransaction() ? queue.lastHandlerId : null);
    if (owner === null || owner === undefined) return queue.queue.shift();
    const at = queue.queue.findIndex((item) => item.handlerId === owner);
    return at === -1 ? undefined : queue.queue.splice(at, 1)[0];
  };

  queue.processQueue = async function processQueue() {
    if (this.processing || this.queue.length === 0) return;
    this.processing = true;
    try {
      for (let item = next(); item; item = next()) {
        const type = item.message[0];
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (data) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
        } catch (err) {
          if (batchOwner === item.handlerId) batchOwner = null;
          item.reject(err);
          continue;
        }
        if (EXTENDED.has(type)) batchOwner = item.handlerId;
        else if (type === SYNC || type === QUERY) batchOwner = null;
        this.lastHandlerId = item.handlerId;
        item.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  };

  const clearForHandler = queue.clearQueueForHandler.bind(queue);
  queue.clearQueueForHandler = (handlerId) => {
    // A connection that died mid-batch must not hold the session.
    if (batchOwner === handlerId) batchOwner = null;
    clearForHandler(handlerId);
    void queue.processQueue();
  };
};
