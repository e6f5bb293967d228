package io.evasan.deploy;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.api.DrillReport;
import io.evasan.nsc.api.NscId;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The clustered cell's drills as the leader process A runs them, over a recorded {@link ProcessActions}: one on the
 * follower B signals B's process and reports what the leader saw; one on the leader itself only answers started and
 * acts at {@code act}, once; a drill while the partner does not follow, a restart of a running controller and a
 * verifier on the leader itself are refused before anything acts.
 */
class ProcessFaultsTest {
    private static final long B_PID = 4242;

    /** Records every action; a signal to B makes the "leader" see it silent and cut it loose at once. */
    private static final class Recorded implements ProcessActions {
        final List<String> done = new ArrayList<>();
        ProcessFaults faults;

        @Override
        public void signal(long pid, String signal) {
            done.add(signal + " " + pid);
            if (!"CONT".equals(signal)) {
                faults.partnerSilent(System.nanoTime());
                faults.partnerHandled(System.nanoTime(), "runs unmirrored and serves its host ports");
            }
        }

        @Override
        public void haltSelf() {
            done.add("halt self");
        }

        @Override
        public void stopSelf(long resumeAfterMillis) {
            done.add("stop self, resume after " + resumeAfterMillis + " ms");
        }

        @Override
        public void cutBus(long millis) {
            done.add("cut " + millis + " ms");
            faults.partnerSilent(System.nanoTime());
            faults.partnerHandled(System.nanoTime(), "runs unmirrored");
        }

        @Override
        public long start(NscId nsc) {
            done.add("start " + nsc);
            return 99;
        }
    }

    private static final class Follower implements ProcessFaults.Partner {
        String why;
        long pid = B_PID;

        @Override
        public String whyNotFollowing() {
            return why;
        }

        @Override
        public long pid() {
            return pid;
        }
    }

    private final Recorded actions = new Recorded();
    private final Follower follower = new Follower();
    private final ProcessFaults faults = new ProcessFaults(NscId.A, follower, actions, 5_000, 60_000);

    ProcessFaultsTest() {
        actions.faults = faults;
    }

    @Test
    void shouldKillTheFollowerProcessAndReportWhatTheLeaderSaw() {
        faults.checkReady("kill", NscId.B, false);
        DrillReport r = faults.kill(NscId.B);

        assertEquals(List.of("KILL " + B_PID), actions.done);
        assertEquals(NscId.B, r.target());
        assertTrue(r.detectionMillis() >= 0 && r.takeoverMillis() >= r.detectionMillis(), r.toString());
        assertTrue(r.outcome().contains("proc-b killed (SIGKILL)") && r.outcome().contains("leader proc-a runs "
                + "unmirrored"), r.outcome());
        assertFalse(r.started());
        assertEquals(List.of(r), faults.drills());
    }

    @Test
    void shouldStopTheFollowerProcessAndResumeIt() throws Exception {
        ProcessFaults quick = new ProcessFaults(NscId.A, follower, actions, 1, 60_000);
        actions.faults = quick;
        DrillReport r = quick.hang(NscId.B);

        assertEquals("STOP " + B_PID, actions.done.get(0));
        assertTrue(r.takeoverMillis() >= 0, r.toString());
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!actions.done.contains("CONT " + B_PID) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(actions.done.contains("CONT " + B_PID), actions.done.toString());
    }

    @Test
    void shouldCutTheBusForAPartition() {
        DrillReport r = faults.partition();

        assertEquals(List.of("cut 5000 ms"), actions.done);
        assertEquals(NscId.B, r.target(), "the follower loses: the leader keeps its lease");
        assertTrue(r.outcome().contains("kept the quorum lease"), r.outcome());
    }

    @Test
    void shouldAnswerADrillOnTheLeaderItselfAsStartedAndActOnlyOnceAtAct() {
        DrillReport kill = faults.kill(NscId.A);

        assertTrue(kill.started(), kill.outcome());
        assertEquals(NscId.A, kill.target());
        assertEquals(-1, kill.detectionMillis());
        assertEquals(List.of(), actions.done, "nothing acts before act");
        faults.act(kill.id());
        faults.act(kill.id());
        assertEquals(List.of("halt self"), actions.done);

        DrillReport hang = faults.hang(NscId.A);
        faults.act(hang.id());
        assertEquals(List.of("halt self", "stop self, resume after 5000 ms"), actions.done);
    }

    @Test
    void shouldNotActOnADrillOfTheFollower() {
        DrillReport r = faults.kill(NscId.B);
        actions.done.clear();

        faults.act(r.id());

        assertEquals(List.of(), actions.done);
    }

    @Test
    void shouldRefuseADrillWhileThePartnerDoesNotFollowNamingWhy() {
        follower.why = "proc-b has not joined (it is down or starting)";

        StorageException e = assertThrows(StorageException.class, () -> faults.checkReady("kill", NscId.B, false));

        assertEquals(ErrorCode.INVALID_STATE, e.code());
        assertTrue(e.getMessage().contains("proc-b has not joined"), e.getMessage());
        assertEquals(List.of(), actions.done);
    }

    @Test
    void shouldRefuseTheVerifierOnTheLeaderItself() {
        StorageException e = assertThrows(StorageException.class, () -> faults.checkReady("kill", NscId.A, true));

        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().startsWith("verify:"), e.getMessage());
        faults.checkReady("kill", NscId.B, true);
    }

    @Test
    void shouldRestartOnlyAControllerWhoseProcessIsGone() {
        assertEquals(ErrorCode.INVALID_STATE, assertThrows(StorageException.class,
                () -> faults.restart(NscId.A)).code());
        StorageException running = assertThrows(StorageException.class, () -> faults.restart(NscId.B));
        assertTrue(running.getMessage().contains("pid " + B_PID), running.getMessage());
        assertEquals(List.of(), actions.done);

        follower.pid = -1;
        assertEquals(List.of(), faults.restart(NscId.B));
        assertEquals(List.of("start B"), actions.done);
    }

    @Test
    void shouldStartAControllerWithThisProcessCommandLineNamingIt() {
        assertEquals(List.of("java", "-cp", "x.jar", "M", "--nsc", "B", "--data-dir=d"),
                OsProcessActions.command("java", List.of("-cp", "x.jar", "M", "--nsc", "A", "--data-dir=d"), NscId.B));
        assertEquals(List.of("java", "M", "--nsc=B"), OsProcessActions.command("java", List.of("M", "--nsc=A"),
                NscId.B));
        assertThrows(StorageException.class, () -> OsProcessActions.command("java", List.of("M"), NscId.B));
    }
}
