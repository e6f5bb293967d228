package io.evasan.nsc;

import io.evasan.raid.JvmFlags;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;

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
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx384m", JvmFlags.ARG_FILE, "-cp", System.getProperty("java.class.path"),
                PresentedSnapshotCrashChild.class.getName(), dir.toString()).redirectErrorStream(true).start();
        int lastAck = -1;
        boolean killed = false;
        StringBuilder log = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("ACK ")) {
                    lastAck = Integer.parseInt(line.substring(4));
                } else if (log.length() < 20000) {
                    log.append(line).append('\n');
                }
                if (!killed && lastAck >= 300) {
                    new ProcessBuilder("kill", "-9", String.valueOf(p.pid())).inheritIO().start().waitFor();
                    killed = true;
                }
            }
        }
        p.waitFor(30, TimeUnit.SECONDS);
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
