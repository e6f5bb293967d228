package io.evasan.nsc.cache.impl;

import io.evasan.nsc.cache.MirrorChannel;

import java.nio.ByteBuffer;

/**
 * A mirror channel to a partner replica in the same JVM: {@link #send} applies the message to the
 * {@link MirrorReplica} before returning (so acknowledgement waits for the partner, as over the
 * event bus). Invariant: messages reach the replica in send order.
 */
public final class LocalMirrorChannel implements MirrorChannel {
    private final MirrorReplica replica;

    public LocalMirrorChannel(MirrorReplica replica) {
        this.replica = replica;
    }

    @Override
    public void send(ByteBuffer message) {
        replica.apply(message);
    }
}
