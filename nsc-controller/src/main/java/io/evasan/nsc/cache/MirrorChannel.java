package io.evasan.nsc.cache;

import java.nio.ByteBuffer;

/**
 * Carries cache messages ({@link CacheMessageDescriptor}) to the partner controller's replica of
 * this cache. The controller pair (next wave) implements it over the Vert.x event bus.
 *
 * <p>Contract: {@link #send} returns only once the partner holds the message (the cache
 * acknowledges a write to the host only after that); messages are delivered in the order sent;
 * the buffer is only valid during the call (the cache reuses it). A cache configured without a
 * channel has no partner and acknowledges without waiting for one.
 */
public interface MirrorChannel {
    void send(ByteBuffer message);
}
