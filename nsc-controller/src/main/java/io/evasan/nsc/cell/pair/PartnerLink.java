package io.evasan.nsc.cell.pair;

import io.evasan.nsc.cache.MirrorChannel;
import io.evasan.nsc.cache.impl.MirrorReplica;

import java.nio.ByteBuffer;

/**
 * The in-process mirror link from one controller's cache to the replica its partner holds (embedded cell: both
 * controllers in one JVM). Applying a batch is the partner holding it, so it is acknowledged at once.
 *
 * <p>Invariant: once {@link #cut} is called the cache is told the partner is lost, exactly once, and nothing more
 * reaches the replica (a batch sent after the cut is dropped: its writes are acknowledged unmirrored, durable in
 * the sender's own log).
 */
final class PartnerLink implements MirrorChannel, MirrorLink {
    private final MirrorReplica replica;
    private volatile Acks acks;
    private volatile String cut;
    private boolean lostReported;

    PartnerLink(MirrorReplica replica) {
        this.replica = replica;
    }

    @Override
    public MirrorChannel channel() {
        return this;
    }

    @Override
    public MirrorReplica replica() {
        return replica;
    }

    @Override
    public void connect(Acks acks) {
        this.acks = acks;
    }

    @Override
    public void send(ByteBuffer batch, long firstSeq, long lastSeq) {
        synchronized (this) {
            if (cut == null) {
                replica.applyBatch(batch);
            }
        }
        Acks a = acks;
        if (a == null) {
            return;
        }
        if (cut == null) {
            a.acked(lastSeq);
        } else {
            reportLost(a);
        }
    }

    /** The partner is gone: the cache runs unmirrored from now on. */
    @Override
    public void cut(String reason) {
        synchronized (this) {
            if (cut == null) {
                cut = reason;
            }
        }
        Acks a = acks;
        if (a != null) {
            reportLost(a);
        }
    }

    private void reportLost(Acks a) {
        synchronized (this) {
            if (lostReported) {
                return;
            }
            lostReported = true;
        }
        a.lost(cut);
    }
}
