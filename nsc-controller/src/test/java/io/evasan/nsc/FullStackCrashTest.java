package io.evasan.nsc;

import io.evasan.raid.ChildJvm;

import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.SnapshotRecord;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole stack under kill -9: a child JVM (pool, mapping, sharing trees, controller with the
 * non-volatile cache, destage throttled so the cache is dirty) acknowledges SCSI writes and a host
 * snapshot command, then dies by kill -9. Reopening the same directories must show every
 * acknowledged write on the LUN and a snapshot holding exactly the writes before the command.
 */
class FullStackCrashTest {

    @Test
    void shouldKeepAcknowledgedWritesAndTheMarkerSnapshotAcrossKill9() throws Exception {
        Path dir = Files.createTempDirectory(Paths.get("target"), "fullstack-crash");
        int[] ackBox = {-1};
        long[] markerBox = {-1};
        boolean[] killedBox = {false};
        StringBuilder log = new StringBuilder();
        try (ChildJvm child = ChildJvm.of(FullStackCrashChild.class).heap("384m").args(dir.toString()).mergeStderr().start()) {
            child.follow(line -> {
                if (line.startsWith("ACK ")) {
                    ackBox[0] = Integer.parseInt(line.substring(4));
                } else if (line.startsWith("MARKER ")) {
                    markerBox[0] = Long.parseLong(line.substring(7));
                } else if (log.length() < 20000) {
                    log.append(line).append('\n');
                }
                if (!killedBox[0] && ackBox[0] >= 400) {
                    child.kill9();   // what the child printed before it died is still followed
                    killedBox[0] = true;
                }
            });
        }
        int lastAck = ackBox[0];
        long markerSeq = markerBox[0];
        boolean killed = killedBox[0];
        assertTrue(killed, "child never reached 400 writes:\n" + log);
        assertTrue(markerSeq > 0, "marker acknowledged before the kill:\n" + log);
        System.out.println("child killed after " + lastAck + " acknowledged writes; marker seq " + markerSeq);
        try (FullStack s = new FullStack(dir, 0)) {
            System.out.println("recovered " + s.ctl.cache().recoveredWrites() + " writes and "
                    + s.ctl.cache().recoveredMarkers() + " markers from the NV cache log");
            LunRecord c = s.ctl.lun("c");
            byte[] got = new byte[4096];
            for (int i = 0; i <= lastAck; i++) {
                s.ctl.read("c", (long) i * 4096, got);
                assertArrayEquals(FullStackCrashChild.stamp(i), got, "acknowledged write " + i);
            }
            SnapshotRecord snap = null;
            for (SnapshotRecord r : s.ctl.listSnapshots()) {
                if (r.name().equals("host-5")) {
                    snap = r;
                }
            }
            assertNotNull(snap, "host snapshot taken (before the kill or on replay)");
            assertEquals(c.id(), snap.lunId());
            for (int i = 0; i < FullStackCrashChild.MARKER_AFTER + 50; i++) {
                s.trees.read(snap.disk(), (long) i * 4096, got, 0, 4096);
                byte[] want = i < FullStackCrashChild.MARKER_AFTER ? FullStackCrashChild.stamp(i) : new byte[4096];
                assertArrayEquals(want, got, "snapshot block " + i);
            }
        }
    }
}
