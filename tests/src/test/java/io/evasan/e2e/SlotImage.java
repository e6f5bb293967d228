package io.evasan.e2e;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The oracle check of the kill and failover tests: a LUN written in slots of {@code len} bytes, each slot filled
 * with one byte pattern per write, is read back whole with {@code qemu-img convert} and every 512-byte sector must
 * hold one of the fills its slot allows (0 for a slot never written; both fills for a write in flight at the fault).
 * So a lost write, a write landing in the wrong place and stale data in a never-written slot all fail.
 */
final class SlotImage {
    private SlotImage() {
    }

    static void verify(Path image, String url, long lunBytes, int len, Map<Integer, Set<Integer>> allowed, String when)
            throws Exception {
        if (allowed.isEmpty()) {
            return;
        }
        Files.deleteIfExists(image);
        Clients.Result conv = Clients.run(300, List.of("qemu-img", "convert", "-f", "raw", "-O", "raw", url, image.toString()));
        assertEquals(0, conv.exitCode(), when + ": qemu-img convert " + conv);
        assertEquals(lunBytes, Files.size(image), when + ": image size");
        List<String> bad = new ArrayList<>();
        byte[] slot = new byte[len];
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            for (int s = 0; s < lunBytes / len; s++) {
                ByteBuffer b = ByteBuffer.wrap(slot);
                while (b.hasRemaining()) {
                    if (ch.read(b, (long) s * len + b.position()) < 0) {
                        throw new AssertionError(when + ": image ends at slot " + s);
                    }
                }
                Set<Integer> ok = allowed.getOrDefault(s, Set.of(0));
                if (ok.size() > 1) {
                    System.out.println(when + ": slot " + s + " may hold " + ok + "; sector 0 holds " + (slot[0] & 0xff)
                            + ", last sector " + (slot[len - 1] & 0xff));
                }
                for (int sector = 0; sector < len / 512; sector++) {
                    int fill = slot[sector * 512] & 0xff;
                    boolean uniform = true;
                    for (int k = 1; k < 512 && uniform; k++) {
                        uniform = (slot[sector * 512 + k] & 0xff) == fill;
                    }
                    if (!uniform || !ok.contains(fill)) {
                        bad.add("offset " + ((long) s * len + sector * 512L) + " holds " + (uniform ? "fill " + fill : "mixed bytes")
                                + ", allowed " + ok);
                        break;
                    }
                }
            }
        }
        assertTrue(bad.isEmpty(), when + ": " + bad.size() + " slot(s) wrong, first " + bad.subList(0, Math.min(10, bad.size())));
    }
}
