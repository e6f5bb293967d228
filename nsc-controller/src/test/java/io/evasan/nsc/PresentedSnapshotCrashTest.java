package io.evasan.nsc;

import io.evasan.raid.ChildJvm;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Writes acknowledged to a presented (read-write) snapshot survive kill -9: they sit in the NV cache log
 * under the snapshot's unit id, which is registered with the destage target before the log is replayed.
 */
class PresentedSnapshotCrashTest {

    @Test
    void shouldKeepAcknowledgedSnapshotWritesAcrossKill9() throws Exception {
        Path dir = Files.createTempDirectory(Paths.get("target"), "snapshot-crash");
        int[] ackBox = {-1};
        boolean[] killedBox = {false};
        StringBuilder log = new StringBuilder();
        try (ChildJvm child = ChildJvm.of(PresentedSnapshotCrashChild.class).heap("384m").args(dir.toString()).mergeStderr().start()) {
            child.follow(line -> {
                if (line.startsWith("ACK ")) {
                    ackBox[0] = Integer.parseInt(line.substring(4));
                } else if (log.length() < 20000) {
                    log.append(line).append('\n');
                }
                if (!killedBox[0] && ackBox[0] >= 300) {
                    child.kill9();   // what the child printed before it died is still followed
                    killedBox[0] = true;
                }
            });
        }
        int lastAck = ackBox[0];
        boolean killed = killedBox[0];
        assertTrue(killed, "child never reached 300 writes:\n" + log);
        try (FullStack s = new FullStack(dir, 0)) {
            System.out.println("snapshot writes acknowledged " + (lastAck + 1) + "; recovered " + s.ctl.cache().recoveredWrites()
                    + " writes from the NV cache log");
            assertEquals(1, s.ctl.snapshotPresentations("c-s").size(), "the presentation survived");
            byte[] got = new byte[4096];
            for (int i = 0; i <= lastAck; i++) {
                s.ctl.readSnapshot("c-s", (long) i * 4096, got);
                assertArrayEquals(FullStackCrashChild.stamp(i), got, "acknowledged snapshot write " + i);
                s.ctl.read("c", (long) i * 4096, got);
                assertArrayEquals(new byte[4096], got, "the LUN never saw the snapshot's writes (block " + i + ")");
            }
        }
    }
}
