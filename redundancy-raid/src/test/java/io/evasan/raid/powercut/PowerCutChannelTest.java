package io.evasan.raid.powercut;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The bulk transfer methods go through the volatile layer like plain reads and writes. */
class PowerCutChannelTest {
    @TempDir
    Path dir;

    @Test
    void shouldKeepTransferredBytesVolatileUntilForced() throws Exception {
        Path f = dir.resolve("f.bin");
        byte[] data = new byte[3 * 512];
        Arrays.fill(data, (byte) 0x5a);
        PowerCut power = new PowerCut(1).outcome(PowerCut.Outcome.DROP);
        try (FileChannel ch = power.files().open(f, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            assertEquals(data.length, ch.transferFrom(Channels.newChannel(new java.io.ByteArrayInputStream(data)), 0, data.length));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertEquals(data.length, ch.transferTo(0, data.length, Channels.newChannel(out)));
            assertArrayEquals(data, out.toByteArray(), "transferTo reads what transferFrom wrote");
            assertThrows(UnsupportedOperationException.class, () -> ch.map(FileChannel.MapMode.READ_WRITE, 0, 512));
            power.cut();
        }
        byte[] after = Files.exists(f) ? Files.readAllBytes(f) : new byte[0];
        for (byte b : after) {
            assertEquals(0, b, "an unforced transferFrom is dropped by a cut with outcome DROP");
        }
    }
}
