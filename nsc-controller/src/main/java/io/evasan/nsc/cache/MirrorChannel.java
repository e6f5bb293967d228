package io.evasan.nsc.cache;

import java.nio.ByteBuffer;

/**
 * Carries batches of cache messages ({@link CacheMessageDescriptor}) to the partner controller's
 * replica of this cache. The controller pair (next wave) implements it over the Vert.x event bus;
 * {@code cache.impl.LocalMirrorChannel} is the in-process partner.
 *
 * <p>Contract:
 * <ul>
 * <li>The cache calls {@link #connect} once, before the first {@link #send}.</li>
 * <li>{@link #send} is called by one thread at a time, with batches in mirror-sequence order and
 *     no gap ({@code firstSeq} is the previous batch's {@code lastSeq + 1}); the buffer (position
 *     to limit: the messages back to back) is only valid during the call. It returns once the batch
 *     is handed over, which may be before the partner holds it; the cache never calls it while
 *     holding its lock, so a slow partner stalls only the writes that wait for it.</li>
 * <li>The partner's acknowledgements arrive through {@link Acks#acked} (any thread, also inside
 *     {@link #send}): cumulative, non-decreasing, {@code acked(n)} = every message up to mirror
 *     sequence number {@code n} is held by the partner. The cache acknowledges a host write only
 *     once its message is acked.</li>
 * <li>A partner that can no longer be reached is reported once through {@link Acks#lost} (or
 *     {@link #send} throws): the cache then runs unmirrored (see {@code WriteBackCache.mirrorLost()}).</li>
 * </ul>
 * A cache configured without a channel has no partner and acknowledges without waiting for one.
 */
public interface MirrorChannel {
    /** Gives the channel where to report the partner's acknowledgements. Called once. */
    void connect(Acks acks);

    /** Hands over the batch of messages {@code firstSeq..lastSeq} (mirror sequence numbers). */
    void send(ByteBuffer batch, long firstSeq, long lastSeq);

    /** Where a channel reports what the partner did. */
    interface Acks {
        /** The partner holds every message up to {@code mirrorSeq} (cumulative). */
        void acked(long mirrorSeq);

        /** The partner is gone; nothing sent after the last {@link #acked} is known to be held. */
        void lost(String reason);
    }
}
