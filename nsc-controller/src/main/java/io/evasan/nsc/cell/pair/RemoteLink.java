package io.evasan.nsc.cell.pair;

import io.evasan.nsc.cache.MirrorChannel;
import io.evasan.nsc.cache.impl.MirrorReplica;
import io.evasan.nsc.cell.mirror.EventBusMirrorChannel;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;

/**
 * A mirror link whose replica lives in the partner <em>process</em> of a clustered cell (registered there through
 * {@link MirrorHost#hold}): the sending side only. Invariant, as {@link BusLink}'s: the cache goes unmirrored only
 * through {@link #cut} (the leader saw the partner process die), never because frames time out.
 */
final class RemoteLink implements MirrorLink {
    private final EventBusMirrorChannel channel;
    private final MirrorHost host;
    private final String cache;

    RemoteLink(Vertx vertx, MirrorHost host, String owner, String holder, String cache, MeterRegistry registry) {
        this.host = host;
        this.cache = cache;
        channel = BusLink.patientChannel(vertx, owner, holder, cache, registry);
    }

    @Override
    public MirrorChannel channel() {
        return channel;
    }

    /** The replica is in the partner process: this process replays nothing of it. */
    @Override
    public MirrorReplica replica() {
        return new MirrorReplica();
    }

    @Override
    public void cut(String reason) {
        channel.partnerLost(reason);
    }

    @Override
    public void close() {
        channel.close();
        host.release(cache);
    }
}
