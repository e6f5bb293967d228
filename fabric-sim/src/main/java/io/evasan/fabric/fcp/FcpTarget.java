package io.evasan.fabric.fcp;

import io.evasan.fabric.frame.BlsDescriptor;
import io.evasan.fabric.frame.FcpDescriptor;
import io.evasan.fabric.frame.FcpDescriptor.Cmnd;
import io.evasan.fabric.frame.FcpDescriptor.Rsp;
import io.evasan.fabric.frame.FcpDescriptor.XferRdy;
import io.evasan.fabric.frame.Frame;
import io.evasan.fabric.frame.FrameFormatException;
import io.evasan.fabric.frame.FrameHeader;
import io.evasan.fabric.nport.Fc4Listener;
import io.evasan.fabric.nport.NPort;
import io.evasan.fabric.switching.Wwn;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiTarget;
import io.evasan.scsi.ScsiTask;
import io.evasan.scsi.TmfFunction;
import io.evasan.scsi.TmfResponse;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static io.evasan.fabric.frame.FrameHeaderDescriptor.*;

/**
 * FCP target on an {@link NPort}: each accepted PRLI opens an I_T nexus on the {@link ScsiTarget}
 * (initiator name = the initiator's WWPN as {@code xx:xx:..}, so LUN masking keys on it), and
 * every FCP_CMND becomes a {@link ScsiTask}: for writes one FCP_XFER_RDY asks for all of FCP_DL,
 * the FCP_DATA frames are placed by relative offset and the task is submitted when every byte has
 * come; read data goes back in FCP_DATA frames of at most {@link #MAX_DATA_FRAME} bytes, then
 * FCP_RSP carries status, residual and sense. Task management flags map to SAM functions (LUN
 * RESET, ABORT TASK SET, CLEAR TASK SET, CLEAR ACA, TARGET RESET); ABTS aborts the exchange's task
 * (ABORT TASK) and is answered BA_ACC, or BA_RJT 09h/03h for an exchange it does not know.
 *
 * <p>Invariants: an exchange is answered with at most one FCP_RSP, and none after a BA_ACC or for
 * a task the target completed with TASK ABORTED (LUN RESET, ABORT/CLEAR TASK SET); FCP
 * frames from a port without an image pair are dropped and counted ({@link #dropped()}), as are
 * data frames that do not start where the previous one ended or go past FCP_DL; FCP_DL above
 * {@link #MAX_TRANSFER} is answered RSP_CODE 01h; a malformed FCP_CMND is answered FCP_RSP with
 * RSP_CODE 02h (FCP_CMND fields invalid). Task management runs on a thread of its own, never on
 * the port's receive thread.
 */
public final class FcpTarget implements Fc4Listener {
    /** Largest FCP_DATA payload sent (a 2 KiB frame, within FC_MAX_PAYLOAD). */
    public static final int MAX_DATA_FRAME = 2048;
    /** Largest FCP_DL accepted; more is answered RSP_CODE 01h (FCP_DATA_LEN_INVALID). */
    public static final int MAX_TRANSFER = 32 << 20;

    private final NPort port;
    private final ScsiTarget target;
    private final int relativeTargetPortId;
    private final Map<Integer, ItNexus> nexus = new ConcurrentHashMap<>();
    private final Map<Long, Exchange> exchanges = new ConcurrentHashMap<>();
    private final AtomicInteger rxIds = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();
    private final ExecutorService tmf = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fcp-target-tmf");
        t.setDaemon(true);
        return t;
    });

    private static final class Exchange {
        final int initiator;
        final int oxId;
        final int rxId;
        final ScsiTask task = new ScsiTask();
        ByteBuffer dataOut;
        int received;
        long startNanos;
        volatile boolean aborted;

        Exchange(int initiator, int oxId, int rxId) {
            this.initiator = initiator;
            this.oxId = oxId;
            this.rxId = rxId;
        }
    }

    public FcpTarget(NPort port, ScsiTarget target, int relativeTargetPortId) {
        this.port = port;
        this.target = target;
        this.relativeTargetPortId = relativeTargetPortId;
        port.fc4(this);
    }

    /** The port's meters: every completed read or write is recorded there (null: none). */
    private volatile io.evasan.scsi.target.ScsiStats.LuStats meters;

    /** Records every command this port completes in {@code m} ({@code evasan.port.*}), null for none. */
    public void meters(io.evasan.scsi.target.ScsiStats.LuStats m) {
        this.meters = m;
    }

    /** FCP frames dropped: no image pair, unknown exchange, data out of range. */
    public long dropped() {
        return dropped.get();
    }

    public void close() {
        tmf.shutdownNow();
    }

    private static long key(int initiator, int oxId) {
        return (long) initiator << 16 | oxId;
    }

    @Override
    public void processLogin(int remoteId, long remoteWwpn) {
        String name = Wwn.format(remoteWwpn);
        ItNexus old = nexus.put(remoteId, target.openNexus(name, name, Wwn.format(port.wwpn()), relativeTargetPortId));
        if (old != null) {
            target.closeNexus(old);
        }
    }

    @Override
    public void processLogout(int remoteId) {
        if (remoteId < 0) {
            nexus.values().forEach(target::closeNexus);
            nexus.clear();
            exchanges.clear();
            return;
        }
        ItNexus n = nexus.remove(remoteId);
        if (n != null) {
            target.closeNexus(n);
        }
        exchanges.keySet().removeIf(k -> (int) (k >>> 16) == remoteId);
    }

    @Override
    public void frame(Frame f) {
        FrameHeader h = f.header();
        ItNexus n = nexus.get(h.sId());
        if (n == null) {
            dropped.incrementAndGet();
            return;
        }
        switch (h.rCtl()) {
            case R_CTL_DD_UNSOL_CMD -> command(n, f);
            case R_CTL_DD_SOL_DATA -> data(f);
            case R_CTL_BA_ABTS -> abts(n, f);
            default -> dropped.incrementAndGet();
        }
    }

    private void command(ItNexus n, Frame f) {
        FrameHeader h = f.header();
        Exchange x = new Exchange(h.sId(), h.oxId(), rxIds.updateAndGet(v -> v % 0xFFFE + 1));
        Cmnd c;
        try {
            c = Cmnd.decode(f.payload());
        } catch (FrameFormatException e) {
            respond(x, Rsp.taskManagement(FcpDescriptor.RSP_CMND_FIELDS_INVALID));
            return;
        }
        int lun = FcpDescriptor.lunNumber(c.lun());
        if (c.tmFlags() != 0) {
            tmf.execute(() -> respond(x, Rsp.taskManagement(tmfCode(target.taskManagement(n, function(c.tmFlags()), lun,
                    0)))));
            return;
        }
        if (c.read() && c.write()) {
            respond(x, Rsp.taskManagement(FcpDescriptor.RSP_CMND_FIELDS_INVALID));
            return;
        }
        if (c.dataLength() < 0 || c.dataLength() > MAX_TRANSFER) {
            respond(x, Rsp.taskManagement(FcpDescriptor.RSP_DATA_LEN_INVALID));
            return;
        }
        byte[] cdb = c.cdb();
        int dl = c.dataLength();
        ScsiTask t = x.task;
        t.reset(n, lun, x.oxId, attribute(c.taskAttribute()), Math.min(cdb.length, ScsiTask.MAX_CDB), dl, c.read(),
                c.write());
        System.arraycopy(cdb, 0, t.cdb(), 0, Math.min(cdb.length, ScsiTask.MAX_CDB));
        t.dataIn(ByteBuffer.allocate(c.read() ? dl : 0));
        t.callback(this::completed);
        t.transportContext(x);
        x.startNanos = System.nanoTime();
        if (exchanges.putIfAbsent(key(x.initiator, x.oxId), x) != null) {
            dropped.incrementAndGet(); // OX_ID already in use by this initiator
            return;
        }
        if (c.write() && dl > 0) {
            x.dataOut = ByteBuffer.allocate(dl);
            port.send(new Frame(new FrameHeader(R_CTL_DD_DATA_DESC, x.initiator, 0, port.portId(), TYPE_FCP,
                    F_CTL_EX_CTX | F_CTL_END_SEQ | F_CTL_SEQ_INIT, 0, 0, 0, x.oxId, x.rxId, 0),
                    new XferRdy(0, dl).encode()));
        } else {
            t.dataOut(ByteBuffer.allocate(0));
            target.submit(t);
        }
    }

    private void data(Frame f) {
        FrameHeader h = f.header();
        Exchange x = exchanges.get(key(h.sId(), h.oxId()));
        int off = h.parameter();
        int len = f.payloadLength();
        // the PLOGI offered continuously increasing relative offsets: each frame starts where the last ended
        if (x == null || x.dataOut == null || x.aborted || off != x.received || (long) off + len > x.dataOut.capacity()) {
            dropped.incrementAndGet();
            return;
        }
        f.copyPayload(x.dataOut, off);
        x.received += len;
        if (x.received == x.dataOut.capacity()) {
            x.task.dataOut(x.dataOut.duplicate().clear());
            target.submit(x.task);
        }
    }

    private void abts(ItNexus n, Frame f) {
        FrameHeader h = f.header();
        Exchange x = exchanges.get(key(h.sId(), h.oxId()));
        if (x == null) {
            port.send(new Frame(h.reply(R_CTL_BA_RJT, TYPE_BLS),
                    new BlsDescriptor.BaRjt(BlsDescriptor.RJT_UNABLE, BlsDescriptor.RJT_EXP_INV_XID).encode()));
            return;
        }
        x.aborted = true;
        tmf.execute(() -> {
            target.taskManagement(n, TmfFunction.ABORT_TASK, x.task.lun(), x.oxId);
            exchanges.remove(key(x.initiator, x.oxId));
            port.send(new Frame(h.reply(R_CTL_BA_ACC, TYPE_BLS),
                    new BlsDescriptor.BaAcc(false, 0, x.oxId, x.rxId, 0, 0xFFFF).encode()));
        });
    }

    private void completed(ScsiTask t) {
        Exchange x = (Exchange) t.transportContext();
        if (x.aborted || exchanges.remove(key(x.initiator, x.oxId)) == null
                || t.status() == io.evasan.scsi.ScsiStatus.TASK_ABORTED) {
            return; // an aborted task gets no FCP_RSP (FCP-4: terminated by the task management function)
        }
        ByteBuffer in = t.dataIn();
        int n = t.isRead() ? in.limit() : 0;
        byte[] all;
        int base;
        if (in.hasArray()) {
            all = in.array();
            base = in.arrayOffset();
        } else {
            all = new byte[n];
            in.get(0, all);
            base = 0;
        }
        int seqCnt = 0;
        for (int off = 0; off < n; off += MAX_DATA_FRAME) {
            port.send(FcpDescriptor.dataHeader(port.portId(), x.initiator, x.oxId, x.rxId, 1, seqCnt++, true, off),
                    all, base + off, Math.min(n - off, MAX_DATA_FRAME));
        }
        long expected = t.expectedDataTransferLength();
        long transferred = t.isRead() ? n : t.isWrite() ? expected : 0;
        boolean over = t.residualOverflow();
        long residual = t.residual() != 0 ? t.residual() : Math.abs(expected - transferred);
        boolean under = !over && residual > 0;
        meter(t, n, expected, x.startNanos);
        respond(x, new Rsp(0, 0, t.status(), under, over, (int) residual, -1,
                Arrays.copyOf(t.sense(), t.status() == io.evasan.scsi.ScsiStatus.CHECK_CONDITION ? t.senseLength() : 0)));
    }

    /** Records a completed read (by the bytes sent) or write (by the bytes received) in the port's meters. */
    private void meter(ScsiTask t, int readBytes, long expected, long startNanos) {
        io.evasan.scsi.target.ScsiStats.LuStats m = meters;
        if (m == null || !(t.isRead() || t.isWrite())) {
            return;
        }
        if (t.status() != io.evasan.scsi.ScsiStatus.GOOD) {
            m.recordCheckCondition();
        } else if (t.isRead()) {
            m.recordRead(readBytes, System.nanoTime() - startNanos);
        } else {
            m.recordWrite(expected, System.nanoTime() - startNanos);
        }
    }

    private void respond(Exchange x, Rsp rsp) {
        port.send(new Frame(new FrameHeader(R_CTL_DD_CMD_STATUS, x.initiator, 0, port.portId(), TYPE_FCP, F_CTL_RESP, 2,
                0, 0, x.oxId, x.rxId, 0), rsp.encode()));
    }

    private static TmfFunction function(int tmFlags) {
        return switch (tmFlags) {
            case FcpDescriptor.TMF_LUN_RESET -> TmfFunction.LOGICAL_UNIT_RESET;
            case FcpDescriptor.TMF_ABT_TASK_SET -> TmfFunction.ABORT_TASK_SET;
            case FcpDescriptor.TMF_CLR_TASK_SET -> TmfFunction.CLEAR_TASK_SET;
            case FcpDescriptor.TMF_CLR_ACA -> TmfFunction.CLEAR_ACA;
            default -> TmfFunction.TARGET_WARM_RESET;
        };
    }

    private static int tmfCode(TmfResponse r) {
        return switch (r) {
            case FUNCTION_COMPLETE, FUNCTION_SUCCEEDED -> FcpDescriptor.RSP_TMF_CMPL;
            case LUN_DOES_NOT_EXIST -> FcpDescriptor.RSP_TMF_INVALID_LUN;
            case FUNCTION_NOT_SUPPORTED, FUNCTION_REJECTED -> FcpDescriptor.RSP_TMF_REJECTED;
            case TASK_DOES_NOT_EXIST -> FcpDescriptor.RSP_TMF_FAILED;
        };
    }

    private static ScsiTask.Attribute attribute(int fcpAttribute) {
        return switch (fcpAttribute) {
            case FcpDescriptor.PTA_HEADQ -> ScsiTask.Attribute.HEAD_OF_QUEUE;
            case FcpDescriptor.PTA_ORDERED -> ScsiTask.Attribute.ORDERED;
            case FcpDescriptor.PTA_ACA -> ScsiTask.Attribute.ACA;
            default -> ScsiTask.Attribute.SIMPLE;
        };
    }
}
