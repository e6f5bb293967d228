package io.evasan.nsc.cell.mirror;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** The mirror frame's event-bus codec: the same array on the local bus, a length-prefixed copy on the wire. */
class MirrorFrameCodecTest {
    @Test
    void shouldHandTheSendersArrayToALocalReceiver() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            MirrorFrameCodec.install(vertx);
            MirrorFrameCodec.install(vertx);   // a second channel or endpoint on the same bus
            MirrorFrameCodec.Frame sent = new MirrorFrameCodec.Frame(new byte[] {1, 2, 3});
            Object[] got = new Object[1];
            vertx.eventBus().<Object>consumer("codec-test", m -> {
                got[0] = m.body();
                m.reply(Buffer.buffer("ok"));
            }).completion().await(10, TimeUnit.SECONDS);
            vertx.eventBus().request("codec-test", sent).await(10, TimeUnit.SECONDS);
            assertSame(sent, got[0]);
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldCarryTheFrameOverTheWireAfterWhatPrecedesIt() {
        MirrorFrameCodec codec = new MirrorFrameCodec();
        Buffer wire = Buffer.buffer().appendBytes(new byte[] {9, 9, 9});
        codec.encodeToWire(wire, new MirrorFrameCodec.Frame(new byte[] {4, 5, 6, 7}));
        assertEquals(3 + 4 + 4, wire.length());
        assertArrayEquals(new byte[] {4, 5, 6, 7}, codec.decodeFromWire(3, wire).bytes());
    }
}
