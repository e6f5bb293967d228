package io.evasan.nsc.cell.mirror;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Carries an encoded mirror frame ({@link MirrorFrameDescriptor}) over the event bus as it is: on the local bus the
 * receiver gets the sender's array itself (no copy into a {@link Buffer}, no copy per delivery, none out of it); on
 * the clustered bus it travels as a length-prefixed byte string.
 *
 * <p>Invariant: a {@link Frame}'s bytes are never changed once it is sent, by the sender or by anyone it reaches
 * (the frame is built for one send; the replica may keep views of its payload), so handing over the same array is
 * as good as a copy.
 */
final class MirrorFrameCodec implements MessageCodec<MirrorFrameCodec.Frame, MirrorFrameCodec.Frame> {
    static final String NAME = "evasan-mirror-frame";

    /** An encoded frame, immutable once sent. */
    record Frame(byte[] bytes) {
    }

    private static final Map<Vertx, Boolean> INSTALLED = Collections.synchronizedMap(new WeakHashMap<>());

    /** Registers the codec as the default for {@link Frame} on {@code vertx}'s bus (once per instance). */
    static void install(Vertx vertx) {
        synchronized (INSTALLED) {
            if (INSTALLED.putIfAbsent(vertx, Boolean.TRUE) == null) {
                vertx.eventBus().registerDefaultCodec(Frame.class, new MirrorFrameCodec());
            }
        }
    }

    @Override
    public void encodeToWire(Buffer buffer, Frame frame) {
        buffer.appendInt(frame.bytes().length).appendBytes(frame.bytes());
    }

    @Override
    public Frame decodeFromWire(int pos, Buffer buffer) {
        int length = buffer.getInt(pos);
        return new Frame(buffer.getBytes(pos + 4, pos + 4 + length));
    }

    @Override
    public Frame transform(Frame frame) {
        return frame;   // immutable once sent
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public byte systemCodecID() {
        return -1;
    }
}
