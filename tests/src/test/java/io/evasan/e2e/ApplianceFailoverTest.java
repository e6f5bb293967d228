package io.evasan.e2e;

import io.evasan.deploy.EmbeddedAppliance;
import io.evasan.nsc.api.DrillReport;
import io.evasan.nsc.api.FailoverMode;
import io.evasan.nsc.api.NscId;
import io.evasan.nsc.lun.LunRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Controller failover seen by a real, unmodified single-path initiator: qemu-io streams writes over iSCSI to a LUN
 * owned by NSC B through B's own portal; at a seeded random acknowledgement B is killed (or hung) by the cell's
 * drill. A detects it by its heartbeat, takes B's LUN over (replaying B's mirrored cache) and B's portal address;
 * qemu-io (libiscsi) reconnects to the same address and carries on. Every write qemu-io saw acknowledged then reads
 * back through the taken-over portal and through A's own portal, and again after B returns and the LUN fails back.
 * Prints the time from the fault to the first host write acknowledged after it.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ApplianceFailoverTest {
    private static final int LEN = 64 << 10;
    private static final int WRITES = 400;
    private static final long LUN_BYTES = 64L << 20;

    @TempDir
    Path dir;

    @Test
    void shouldKeepEveryAcknowledgedWriteWhenTheOwningControllerIsKilled() throws Exception {
        failover("kill", NscId.B);
    }

    @Test
    void shouldKeepEveryAcknowledgedWriteWhenTheOwningControllerHangs() throws Exception {
        failover("hang", NscId.B);
    }

    /** A holds the quorum lease from the start: B serves its LUN only after claiming the lease. */
    @Test
    void shouldKeepEveryAcknowledgedWriteWhenTheLeaseHolderIsKilled() throws Exception {
        failover("kill", NscId.A);
    }

    private void failover(String kind, NscId victim) throws Exception {
        NscId survivor = victim.partner();
        Clients.require("qemu-io", "qemu-img", "stdbuf");
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        System.out.println("ApplianceFailoverTest." + kind + " seed=" + seed + " (rerun with -Devasan.seed=" + seed + ")");
        Random rnd = new Random(seed);
        try (EmbeddedAppliance app = EmbeddedAppliance.start(EmbeddedAppliance.Options.forTest(dir.resolve("data"))
                .withHeartbeatTimeout(EmbeddedAppliance.DEFAULT_HEARTBEAT_TIMEOUT_MS))) {
            LunRecord lun = app.controller().createLun("lunb", LUN_BYTES);
            app.pair().setPreference(lun.id(), victim, FailoverMode.FAILOVER_FAILBACK);
            app.controller().presentLun("*", 1, "lunb");
            assertEquals(victim, app.pair().ownership(lun.id()).owner());
            assertEquals("holds generation 1", app.pair().leaseState(NscId.A), "A claims the new pool's lease");
            String iqn = EmbeddedAppliance.DEFAULT_IQN;
            // viaB: the victim's own portal (taken over); viaA: the survivor's own portal
            String viaB = "iscsi://127.0.0.1:" + app.iscsiPort(victim, 0) + "/" + iqn + "/1";
            String viaA = "iscsi://127.0.0.1:" + app.iscsiPort(survivor, 0) + "/" + iqn + "/1";

            try (PatternStream q = PatternStream.start(rnd, WRITES, LUN_BYTES, LEN, List.of(), viaB)) {
                int faultAt = q.faultAt();
                assertTrue(q.awaitFaultPoint(120), "fewer than " + faultAt + " writes acknowledged: " + q.tail());
                long t0 = System.nanoTime();
                int ackedBefore = q.acknowledged();
                if (kind.equals("kill")) {
                    app.pair().kill(victim);
                } else {
                    app.pair().hang(victim);
                }
                assertTrue(q.finish(180), "qemu-io did not finish after the " + kind + ": " + q.tail());
                Map<Integer, Set<Integer>> allowed = q.allowed(false);
                int n = q.acknowledgedLines();
                long firstAfter = q.firstAckAfter(t0, ackedBefore);
                DrillReport done = app.pair().drills().get(0);
                System.out.println(kind + " of " + victim + " at acknowledgement " + faultAt + ": " + done);
                System.out.printf("%s -> first write acknowledged to qemu-io after the fault: %.0f ms (%d of %d writes "
                        + "acknowledged, qemu-io exit %d)%n", kind, firstAfter / 1e6, n, WRITES, q.exitValue());
                assertEquals(0, q.exitValue(), "qemu-io reconnected and carried on: " + q.tail());
                assertEquals(WRITES, n, "every write acknowledged after reconnecting");
                assertTrue(firstAfter > 0, "a write was served after the fault");
                assertEquals(survivor, app.pair().ownership(lun.id()).owner());
                assertEquals("holds generation " + (victim == NscId.A ? 2 : 1), app.pair().leaseState(survivor),
                        "the survivor holds the quorum lease");
                SlotImage.verify(dir.resolve("image.raw"), viaB, LUN_BYTES, LEN, allowed,
                        "after the " + kind + ", through " + victim + "'s portal served by " + survivor + " (seed " + seed + ")");
                SlotImage.verify(dir.resolve("image.raw"), viaA, LUN_BYTES, LEN, allowed,
                        "after the " + kind + ", through " + survivor + "'s own portal (seed " + seed + ")");

                List<Integer> back = app.pair().restart(victim);
                assertTrue(back.contains(lun.id()), "lunb fails back to " + victim + ": " + back);
                assertEquals(victim, app.pair().ownership(lun.id()).owner());
                SlotImage.verify(dir.resolve("image.raw"), viaB, LUN_BYTES, LEN, allowed,
                        "after " + victim + " returned and lunb failed back (seed " + seed + ")");
            }
        }
    }
}
