package io.evasan.nsc.cell.pair;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.cache.MirrorChannel;
import io.evasan.nsc.cache.impl.MirrorReplica;
import io.evasan.nsc.cell.mirror.EventBusMirrorChannel;
import io.evasan.nsc.cell.mirror.MirrorEndpoint;
import io.evasan.nsc.cell.mirror.MirrorOptions;
import io.evasan.nsc.cell.mirror.MirrorStats;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;

import java.util.concurrent.TimeUnit;

/**
 * A mirror link over the Vert.x event bus. Invariant: the sending cache goes unmirrored only through {@link #cut}
 * (the pair's takeover, after the arbitration), never because frames time out: in a partition both sides would
 * otherwise acknowledge writes their partner does not hold, and the winner's takeover would lose the loser's.
 *
 * <p>Parts: {@link EventBusMirrorChannel} on the owner's side, {@link MirrorEndpoint}
 * into the replica on the holder's side, with sequence numbers, acknowledgements and resends of its own above the
 * best-effort bus. The same code runs on the local bus (embedded cell) and the clustered one.
 */
final class BusLink implements MirrorLink {
    private final MirrorReplica replica = new MirrorReplica();
    private final MirrorEndpoint endpoint;
    private final EventBusMirrorChannel channel;

    /**
     * {@code owner}'s cache {@code cache} mirrored into a replica {@code holder} keeps; {@code cache} names this
     * link's generation (a restarted controller gets a fresh one).
     */
    BusLink(Vertx vertx, String owner, String holder, String cache, MeterRegistry registry) {
        endpoint = new MirrorEndpoint(vertx, holder, cache, replica);
        try {
            endpoint.ready().await(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            endpoint.close();
            throw new StorageException(ErrorCode.BUSY, "mirror endpoint of " + cache + " at " + holder
                    + " did not register within 10 s");
        }
        channel = patientChannel(vertx, owner, holder, cache, registry);
    }

    /**
     * The sending side of {@code owner}'s cache {@code cache} mirrored to {@code holder}: never "lost" on its own (a
     * controller that cannot reach its partner must not acknowledge unmirrored writes until the pair has decided who
     * survives, which then calls {@code partnerLost}); until then writers wait (back-pressure).
     */
    static EventBusMirrorChannel patientChannel(Vertx vertx, String owner, String holder, String cache,
                                                MeterRegistry registry) {
        MirrorStats stats = registry == null ? new MirrorStats(owner, holder, cache)
                : new MirrorStats(registry, owner, holder, cache);
        MirrorOptions mo = MirrorOptions.defaults(owner, holder);
        return new EventBusMirrorChannel(vertx, cache, mo.withTimeout(mo.timeoutMillis(), Integer.MAX_VALUE), stats);
    }

    @Override
    public MirrorChannel channel() {
        return channel;
    }

    @Override
    public MirrorReplica replica() {
        return replica;
    }

    @Override
    public void close() {
        endpoint.close();
        channel.close();
    }

    @Override
    public void cut(String reason) {
        endpoint.close();
        channel.partnerLost(reason);
    }
}
