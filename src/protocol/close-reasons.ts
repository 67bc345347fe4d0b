/**
 * What a WebSocket close code and reason from a Harper node mean. 4.7.29's closes were seen live (1008 Unauthorized);
 * the Harper Pro 5.x reasons are read from harper-pro d2a193f: replication/replicationConnection.ts (1011 missing
 * table structure :5583, 1011 Error handling incoming replication message :657, 1011 setup timed out :5090, 1008
 * Node name mismatch :3956, 1008 No longer subscribed :2691) and replication/replicator.ts (1008 no hdb_nodes entry
 * :253, :272).
 */
/** What a close code and reason from the target mean, per the source and live runs; undefined when not known. */
export function explainClose(code: number | undefined, reason: string | undefined): string | undefined {
  const text = reason ?? '';
  if (code === 1011 && /missing table structure/.test(text))
    return 'the target got an entry for a table id it has no structure for on this connection (no TABLE_FIXED_STRUCTURE sent, or sent after the entry): Harper 5.x closes and reconnects to resync';
  if (code === 1011 && /Error handling incoming replication message/.test(text))
    return "the target's receive handler threw on a frame: Harper 5.x closes and resumes from its last durable cursor (4.7.29 logs and carries on)";
  if (code === 1011 && /setup (timed out|unavailable)/.test(text))
    return 'Harper 5.x gave up setting up the subscription within its budget (subscriptionSetupBudgetMs)';
  if (code === 1008 && /no hdb_nodes entry/.test(text))
    return 'Harper 5.x found no user for the connection (no certificate or IP match in hdb_nodes, no valid Basic/Bearer): add the tool with add_node or pass credentials';
  if (code === 1008 && /Unauthorized/.test(text))
    return 'the target refused the credentials or the database subscription';
  if (code === 1008 && /Node name mismatch/.test(text))
    return 'the NODE_NAME the tool sent does not match the name its certificate or hdb_nodes entry says';
  if (code === 1008 && /No longer subscribed/.test(text))
    return 'the target dropped the subscription (node removed or unsubscribed)';
  return undefined;
}
