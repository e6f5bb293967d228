package io.evasan.e2e;

import io.evasan.deploy.EmbeddedAppliance;
import io.evasan.nsc.lun.SnapshotRecord;
import io.evasan.sharing.BgCopyProgress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --bgcopy-rate} is in force from the moment the sharing trees open: a snapclone copy that a
 * restart resumes runs throttled from its first batch (the rate used to be set only after start
 * returned, so a resumed copy ran unthrottled until then and a short one finished during the start).
 */
class BgcopyRateAtStartTest {
    private static final long RATE = 1L << 20;   // 1 MiB/s: 128 mapped segments of 1 MiB take two minutes (the first batch goes at once)

    @TempDir
    Path dir;

    @Test
    void shouldThrottleACopyThatARestartResumesFromItsFirstSegment() throws Exception {
        EmbeddedAppliance.Options o = EmbeddedAppliance.Options.forTest(dir.resolve("data")).withBgcopyRate(RATE);
        String lun = EmbeddedAppliance.FIRST_LUN;
        long clone;
        try (EmbeddedAppliance app = EmbeddedAppliance.start(o)) {
            assertEquals(RATE, app.trees().bgcopyRate(), "the rate the trees opened with");
            int id = app.controller().lun(lun).id();
            byte[] data = new byte[64 << 10];
            java.util.Arrays.fill(data, (byte) 0x5a);
            for (long off = 0; off < (128L << 20); off += (1L << 20)) {
                app.controller().writeCache().write(0, id, off, ByteBuffer.wrap(data), true);
            }
            app.controller().snapshot(lun, "clone", true).taken().get(60, TimeUnit.SECONDS);
            clone = snapshot(app, "clone").disk();
            BgCopyProgress p = app.trees().bgcopyProgress(clone);
            assertTrue(p.done() < p.total(), "still copying at the clean stop: " + p);
        }
        try (EmbeddedAppliance app = EmbeddedAppliance.start(o)) {
            assertEquals(RATE, app.trees().config().bgcopyBytesPerSecond(),
                    "the trees open with the rate, so the copy thread they start resumes the copy throttled");
            assertEquals(RATE, app.trees().bgcopyRate());
            BgCopyProgress p = app.trees().bgcopyProgress(clone);
            assertTrue(p.total() - p.done() > 4,
                    "the resumed copy runs throttled: " + p);
        }
    }

    private static SnapshotRecord snapshot(EmbeddedAppliance app, String name) {
        return app.controller().listSnapshots().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }
}
