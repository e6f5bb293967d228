package io.evasan.nsc.cache.impl;

import io.evasan.nsc.cache.MirrorChannel;

import java.nio.ByteBuffer;

/**
 * A mirror channel to a partner replica in the same JVM: {@link #send} applies the batch to the
 * {@link MirrorReplica} and acknowledges it before returning (so the partner holds a message as soon
 * as it is sent, as over a synchronous link). Invariant: messages reach the replica in send order;
 * a batch the replica refuses (bad crc, sequence gap) throws from {@link #send}, which the cache
 * treats as a lost partner.
 */
public final class LocalMirrorChannel implements MirrorChannel {
    private final MirrorReplica replica;
    private volatile Acks acks;

    public LocalMirrorChannel(MirrorReplica replica) {
        this.replica = replica;
    }

    @Override
    public void connect(Acks acks) {
        this.acks = acks;
    }

    @Override
    public void send(ByteBuffer batch, long firstSeq, long lastSeq) {
        replica.applyBatch(batch);
        Acks a = acks;
        if (a != null) {
            a.acked(lastSeq);
        }
    }
}
