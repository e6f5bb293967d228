package io.evasan.fabric.fcp;

import io.evasan.fabric.fcp.FcpInitiator.Result;
import io.evasan.fabric.frame.FcpDescriptor;
import io.evasan.fabric.frame.Frame;
import io.evasan.fabric.frame.FrameHeaderDescriptor;
import io.evasan.fabric.nport.NPort;
import io.evasan.fabric.nport.NPortException;
import io.evasan.fabric.switching.FabricFixture;
import io.evasan.fabric.switching.ZoneSet;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.ScsiTarget;
import io.evasan.scsi.ScsiTask;
import io.evasan.scsi.TmfFunction;
import io.evasan.scsi.TmfResponse;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** ABTS and task management against commands the SCSI target is still working on. */
class FcpAbortTest {
    static final long HOST = 0x1000_0000_C9AA_0001L;
    static final long TARGET = 0x5000_1FE1_5000_0001L;

    /**
     * A SCSI target whose commands run until the test lets them go ({@link #finish}) or a task
     * management function aborts them (TASK ABORTED, as the scsi module's DiskTarget does).
     */
    static final class HeldTarget implements ScsiTarget {
        final BlockingQueue<ScsiTask> submitted = new LinkedBlockingQueue<>();
        final List<ScsiTask> held = new java.util.concurrent.CopyOnWriteArrayList<>();
        final List<String> initiators = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public ItNexus openNexus(String initiatorName, String initiatorPortId, String targetPortName, int relativeTargetPortId) {
            initiators.add(initiatorName);
            return new ItNexus() {
                @Override
                public String initiatorName() {
                    return initiatorName;
                }

                @Override
                public String initiatorPortId() {
                    return initiatorPortId;
                }

                @Override
                public String targetPortName() {
                    return targetPortName;
                }

                @Override
                public int relativeTargetPortId() {
                    return relativeTargetPortId;
                }
            };
        }

        @Override
        public void closeNexus(ItNexus nexus) {
        }

        @Override
        public void submit(ScsiTask task) {
            held.add(task);
            submitted.add(task);
        }

        void finish(ScsiTask t) {
            held.remove(t);
            t.complete();
        }

        @Override
        public TmfResponse taskManagement(ItNexus nexus, TmfFunction function, int lun, long referencedTaskTag) {
            boolean any = false;
            for (ScsiTask t : held) {
                if (t.lun() == lun && (function != TmfFunction.ABORT_TASK || t.taskTag() == referencedTaskTag)) {
                    t.status(ScsiStatus.TASK_ABORTED);
                    finish(t);
                    any = true;
                }
            }
            return function == TmfFunction.ABORT_TASK && !any ? TmfResponse.TASK_DOES_NOT_EXIST : TmfResponse.FUNCTION_COMPLETE;
        }

        ScsiTask next() throws InterruptedException {
            ScsiTask t = submitted.poll(FabricFixture.WAIT.toSeconds(), TimeUnit.SECONDS);
            assertNotNull(t, "no command reached the SCSI target");
            return t;
        }
    }

    static final byte[] READ10 = {0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0};

    static long fcpRsps(NPort p) {
        return p.received().stream().filter(f -> f.header().rCtl() == FrameHeaderDescriptor.R_CTL_DD_CMD_STATUS).count();
    }

    @Test
    void shouldAbortARunningCommandWithAbtsAndSendNoFcpRspForIt() throws Exception {
        HeldTarget scsi = new HeldTarget();
        try (FabricFixture fx = new FabricFixture(false)) {
            fx.fabric.activate(ZoneSet.empty("cfg").with("z", HOST, TARGET));
            NPort tport = fx.port("target", TARGET, false, true);
            FcpTarget fcp = new FcpTarget(tport, scsi, 1);
            NPort hport = fx.port("host", HOST, true, false);
            FcpInitiator ini = new FcpInitiator(hport, FabricFixture.WAIT);
            tport.fabricLogin();
            hport.fabricLogin();
            int t = tport.portId();
            hport.login(t);
            assertEquals(List.of("10:00:00:00:c9:aa:00:01"), scsi.initiators, "the nexus is named by the host's WWPN");

            Map.Entry<Integer, CompletableFuture<Result>> a = ini.start(t, 0, READ10, new byte[0], 512);
            ScsiTask running = scsi.next();
            assertEquals(a.getKey().longValue(), running.taskTag(), "the task tag is the OX_ID");
            assertTrue(ini.abort(t, a.getKey()), "BA_ACC");
            assertTrue(scsi.held.isEmpty(), "ABORT TASK reached the SCSI target");
            ExecutionException e = assertThrows(ExecutionException.class, () -> a.getValue().get(FabricFixture.WAIT.toSeconds(), TimeUnit.SECONDS));
            assertInstanceOf(NPortException.class, e.getCause());

            // two commands running, LUN RESET: both terminated, no FCP_RSP for either
            Map.Entry<Integer, CompletableFuture<Result>> b = ini.start(t, 0, READ10, new byte[0], 512);
            Map.Entry<Integer, CompletableFuture<Result>> c = ini.start(t, 0, READ10, new byte[0], 512);
            scsi.next();
            scsi.next();
            assertEquals(FcpDescriptor.RSP_TMF_CMPL, ini.taskManagement(t, 0, FcpDescriptor.TMF_LUN_RESET).rspCode());
            assertThrows(ExecutionException.class, () -> b.getValue().get(FabricFixture.WAIT.toSeconds(), TimeUnit.SECONDS));
            assertThrows(ExecutionException.class, () -> c.getValue().get(FabricFixture.WAIT.toSeconds(), TimeUnit.SECONDS));

            // a command that finishes normally still gets its FCP_RSP, the only one so far besides the TMF's
            Map.Entry<Integer, CompletableFuture<Result>> d = ini.start(t, 0, READ10, new byte[0], 512);
            ScsiTask last = scsi.next();
            last.dataIn().limit(512);
            scsi.finish(last);
            Result r = d.getValue().get(FabricFixture.WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(ScsiStatus.GOOD, r.status());
            assertEquals(512, r.data().length);
            assertEquals(2, fcpRsps(hport), "one for the LUN RESET, one for the last READ");
            assertEquals(0, ini.dropped());
            fcp.close();
        }
    }

    @Test
    void shouldAnswerMalformedCommandsWithResponseCodesAndDropOutOfOrderData() throws Exception {
        HeldTarget scsi = new HeldTarget();
        try (FabricFixture fx = new FabricFixture(false)) {
            fx.fabric.activate(ZoneSet.empty("cfg").with("z", HOST, TARGET));
            NPort tport = fx.port("target", TARGET, false, true);
            FcpTarget fcp = new FcpTarget(tport, scsi, 1);
            NPort hport = fx.port("host", HOST, true, false); // FCP frames by hand: no FcpInitiator
            tport.fabricLogin();
            hport.fabricLogin();
            int t = tport.portId();
            int h = hport.portId();
            hport.login(t);

            byte[] huge = FcpDescriptor.Cmnd.scsi(0, READ10, true, false, FcpTarget.MAX_TRANSFER + 1).encode();
            assertEquals(FcpDescriptor.RSP_DATA_LEN_INVALID, rsp(hport.exchange(cmnd(h, t, hport.nextOxId(), huge))).rspCode());
            byte[] shortCmnd = java.util.Arrays.copyOf(FcpDescriptor.Cmnd.scsi(0, READ10, true, false, 512).encode(), 31);
            assertEquals(FcpDescriptor.RSP_CMND_FIELDS_INVALID,
                    rsp(hport.exchange(cmnd(h, t, hport.nextOxId(), shortCmnd))).rspCode());

            int ox = hport.nextOxId();
            byte[] write10 = {0x2A, 0, 0, 0, 0, 0, 0, 0, 1, 0};
            Frame xfer = hport.exchange(cmnd(h, t, ox, FcpDescriptor.Cmnd.scsi(0, write10, false, true, 512).encode()));
            assertEquals(FrameHeaderDescriptor.R_CTL_DD_DATA_DESC, xfer.header().rCtl());
            assertEquals(new FcpDescriptor.XferRdy(0, 512), FcpDescriptor.XferRdy.decode(xfer.payload()));
            byte[] block = new byte[512];
            java.util.Arrays.fill(block, (byte) 0x5A);
            int rx = xfer.header().rxId();
            hport.send(FcpDescriptor.data(h, t, ox, rx, 1, 0, false, 256, java.util.Arrays.copyOf(block, 256)));
            hport.send(FcpDescriptor.data(h, t, ox, rx, 1, 0, false, 0, block));
            ScsiTask w = scsi.next();
            assertEquals(1, fcp.dropped(), "the frame at offset 256 before offset 0 was dropped");
            byte[] got = new byte[512];
            w.dataOut().get(0, got);
            assertArrayEquals(block, got);
            scsi.finish(w);
            Frame status;
            do {
                status = hport.received().poll(FabricFixture.WAIT.toSeconds(), TimeUnit.SECONDS);
                assertNotNull(status, "no FCP_RSP");
            } while (status.header().rCtl() != FrameHeaderDescriptor.R_CTL_DD_CMD_STATUS || status.header().oxId() != ox);
            assertEquals(ScsiStatus.GOOD, rsp(status).scsiStatus());
            fcp.close();
        }
    }

    static Frame cmnd(int sId, int dId, int ox, byte[] payload) {
        return new Frame(io.evasan.fabric.frame.FrameHeader.request(FrameHeaderDescriptor.R_CTL_DD_UNSOL_CMD,
                FrameHeaderDescriptor.TYPE_FCP, sId, dId, ox), payload);
    }

    static FcpDescriptor.Rsp rsp(Frame f) throws Exception {
        assertEquals(FrameHeaderDescriptor.R_CTL_DD_CMD_STATUS, f.header().rCtl(), f.toString());
        return FcpDescriptor.Rsp.decode(f.payload());
    }
}
