package io.evasan.fabric.fcp;

import io.evasan.fabric.frame.FcpDescriptor;
import io.evasan.fabric.frame.FcpDescriptor.Cmnd;
import io.evasan.fabric.frame.FcpDescriptor.Rsp;
import io.evasan.fabric.frame.FcpDescriptor.XferRdy;
import io.evasan.fabric.frame.Frame;
import io.evasan.fabric.frame.FrameFormatException;
import io.evasan.fabric.frame.FrameHeader;
import io.evasan.fabric.nport.Fc4Listener;
import io.evasan.fabric.nport.NPort;
import io.evasan.fabric.nport.NPortException;

import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import static io.evasan.fabric.frame.FrameHeaderDescriptor.*;

/**
 * FCP initiator on an {@link NPort}: sends FCP_CMND, answers FCP_XFER_RDY with the requested
 * burst of write data in FCP_DATA frames, gathers read data by relative offset, and completes on
 * FCP_RSP. Invariants: each command is its own exchange (a fresh OX_ID); the data returned is the
 * bytes the target sent, truncated to what FCP_RSP says was transferred; frames for unknown
 * exchanges are dropped and counted.
 */
public final class FcpInitiator implements Fc4Listener {
    private final NPort port;
    private final Duration timeout;
    private final Map<Integer, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong dropped = new AtomicLong();

    /** What a command came back with. {@code rspCode} is -1 when FCP_RSP carried no response info. */
    public record Result(int status, byte[] data, byte[] sense, boolean residualUnder, boolean residualOver, int residual,
                         int rspCode) {
    }

    private static final class Pending {
        final int target;
        final int lun;
        final byte[] out;
        final byte[] in;
        final CompletableFuture<Result> done = new CompletableFuture<>();

        Pending(int target, int lun, byte[] out, byte[] in) {
            this.target = target;
            this.lun = lun;
            this.out = out;
            this.in = in;
        }
    }

    public FcpInitiator(NPort port, Duration timeout) {
        this.port = port;
        this.timeout = timeout;
        port.fc4(this);
    }

    public long dropped() {
        return dropped.get();
    }

    /**
     * Runs one SCSI command on LUN {@code lun} of {@code targetId}: {@code dataOut} non-empty makes
     * it a write, {@code dataInLength} &gt; 0 a read.
     *
     * @throws NPortException when no FCP_RSP arrives within the timeout (the exchange is then aborted with ABTS)
     */
    public Result command(int targetId, int lun, byte[] cdb, byte[] dataOut, int dataInLength) throws NPortException {
        return await(targetId, start(targetId, lun, cdb, dataOut, dataInLength));
    }

    /**
     * A task management request ({@link FcpDescriptor#TMF_LUN_RESET} ...); the answer's {@code
     * rspCode} says how it went. When it completed, the commands it terminated (all of the LUN's
     * still waiting here; all of the target's for TARGET RESET) fail with {@link NPortException}:
     * the target sends no FCP_RSP for them.
     */
    public Result taskManagement(int targetId, int lun, int tmFlags) throws NPortException {
        var started = send(targetId, Cmnd.taskManagement(FcpDescriptor.lunField(lun), tmFlags), new byte[0], 0);
        Result r = await(targetId, started);
        if (r.rspCode() == FcpDescriptor.RSP_TMF_CMPL && tmFlags != FcpDescriptor.TMF_CLR_ACA) {
            pending.forEach((ox, p) -> {
                if (ox.intValue() != started.getKey() && p.target == targetId
                        && (p.lun == lun || tmFlags == FcpDescriptor.TMF_TGT_RESET)) {
                    pending.remove(ox);
                    p.done.completeExceptionally(new NPortException("exchange %04x terminated by task management".formatted(ox)));
                }
            });
        }
        return r;
    }

    /** Starts a command without waiting; returns its OX_ID (for {@link #abort}) and the future of its result. */
    public Map.Entry<Integer, CompletableFuture<Result>> start(int targetId, int lun, byte[] cdb, byte[] dataOut,
                                                               int dataInLength) {
        boolean write = dataOut.length > 0;
        Cmnd c = Cmnd.scsi(FcpDescriptor.lunField(lun), cdb, dataInLength > 0, write, write ? dataOut.length : dataInLength);
        return send(targetId, c, dataOut, dataInLength);
    }

    private Map.Entry<Integer, CompletableFuture<Result>> send(int targetId, Cmnd c, byte[] out, int inLength) {
        int ox = port.nextOxId();
        Pending p = new Pending(targetId, FcpDescriptor.lunNumber(c.lun()), out, new byte[inLength]);
        pending.put(ox, p);
        port.send(new Frame(FrameHeader.request(R_CTL_DD_UNSOL_CMD, TYPE_FCP, port.portId(), targetId, ox), c.encode()));
        return Map.entry(ox, p.done);
    }

    /** ABTS for exchange {@code oxId}; true when the target answered BA_ACC. */
    public boolean abort(int targetId, int oxId) throws NPortException {
        Frame reply = port.exchange(new Frame(FrameHeader.request(R_CTL_BA_ABTS, TYPE_BLS, port.portId(), targetId, oxId),
                new byte[0]));
        Pending p = pending.remove(oxId);
        if (p != null) {
            p.done.completeExceptionally(new NPortException("exchange %04x aborted".formatted(oxId)));
        }
        return reply.header().rCtl() == R_CTL_BA_ACC;
    }

    private Result await(int targetId, Map.Entry<Integer, CompletableFuture<Result>> started) throws NPortException {
        int ox = started.getKey();
        try {
            return started.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            abort(targetId, ox);
            throw new NPortException("no FCP_RSP for exchange %04x within %s".formatted(ox, timeout));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NPortException("interrupted", e);
        } catch (ExecutionException e) {
            throw new NPortException(String.valueOf(e.getCause()), e.getCause());
        } finally {
            pending.remove(ox);
        }
    }

    @Override
    public void frame(Frame f) {
        FrameHeader h = f.header();
        Pending p = pending.get(h.oxId());
        if (p == null || h.sId() != p.target || (h.fCtl() & F_CTL_EX_CTX) == 0) {
            dropped.incrementAndGet();
            return;
        }
        try {
            switch (h.rCtl()) {
                case R_CTL_DD_DATA_DESC -> {
                    XferRdy x = XferRdy.decode(f.payload());
                    if (x.relativeOffset() < 0 || x.burstLength() <= 0 || x.relativeOffset() >= p.out.length) {
                        dropped.incrementAndGet();
                        return;
                    }
                    int end = (int) Math.min(p.out.length, (long) x.relativeOffset() + x.burstLength());
                    int seqCnt = 0;
                    for (int off = x.relativeOffset(); off < end; off += FcpTarget.MAX_DATA_FRAME) {
                        port.send(FcpDescriptor.dataHeader(port.portId(), p.target, h.oxId(), h.rxId(), 1, seqCnt++, false,
                                off), p.out, off, Math.min(end - off, FcpTarget.MAX_DATA_FRAME));
                    }
                }
                case R_CTL_DD_SOL_DATA -> {
                    int off = h.parameter();
                    int len = f.payloadLength();
                    if (off < 0 || (long) off + len > p.in.length) {
                        dropped.incrementAndGet();
                    } else {
                        f.copyPayload(0, p.in, off, len);
                    }
                }
                case R_CTL_DD_CMD_STATUS -> {
                    Rsp r = Rsp.decode(f.payload());
                    pending.remove(h.oxId(), p);
                    int got = r.residualUnder() ? Math.max(0, p.in.length - r.residual()) : p.in.length;
                    p.done.complete(new Result(r.scsiStatus(), got == p.in.length ? p.in : Arrays.copyOf(p.in, got), r.sense(), r.residualUnder(),
                            r.residualOver(), r.residual(), r.rspCode()));
                }
                default -> dropped.incrementAndGet();
            }
        } catch (FrameFormatException e) {
            p.done.completeExceptionally(e);
        }
    }

    @Override
    public void processLogout(int remoteId) {
        pending.forEach((ox, p) -> {
            if (remoteId < 0 || p.target == remoteId) {
                p.done.completeExceptionally(new NPortException("logged out of %06x".formatted(p.target)));
            }
        });
    }
}
