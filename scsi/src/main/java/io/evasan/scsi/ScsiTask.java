package io.evasan.scsi;

import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * One SCSI command in flight, owned and reused by the transport (no allocation per I/O).
 *
 * <p>The transport fills the inputs ({@link #reset}, {@link #cdb()}, and for writes the whole
 * Data-Out in {@link #dataOut()}), then calls {@link ScsiTarget#submit}. The target fills the
 * outputs: status, sense, the Data-In bytes written into {@link #dataIn()} (a buffer the
 * transport supplies, capacity at least the expected transfer length; the target writes from
 * position 0 and sets the limit to the bytes produced) and the residual, then invokes the
 * callback exactly once. Between submit and callback the transport must not touch the task.
 */
public final class ScsiTask {
    public static final int MAX_CDB = 32;
    public static final int MAX_SENSE = 252;

    public enum Attribute { SIMPLE, ORDERED, HEAD_OF_QUEUE, ACA }

    // ---- inputs
    private ItNexus nexus;
    private int lun;
    private long taskTag;
    private Attribute attribute = Attribute.SIMPLE;
    private final byte[] cdb = new byte[MAX_CDB];
    private int cdbLength;
    private long expectedDataTransferLength;
    private boolean readDirection;
    private boolean writeDirection;
    private ByteBuffer dataOut;
    private ByteBuffer dataIn;
    private Consumer<ScsiTask> callback;
    /** Transport-private context (e.g. the iSCSI connection and ITT); never read by the target. */
    private Object transportContext;
    private boolean inlineAllowed;

    // ---- outputs
    private int status;
    private final byte[] sense = new byte[MAX_SENSE];
    private int senseLength;
    private long residual;
    private boolean overflow;

    /** Prepares the task for a new command; the CDB must then be copied into {@link #cdb()}. */
    public ScsiTask reset(ItNexus nexus, int lun, long taskTag, Attribute attribute, int cdbLength,
                          long expectedDataTransferLength, boolean read, boolean write) {
        if (cdbLength < 1 || cdbLength > MAX_CDB) {
            throw new IllegalArgumentException("cdbLength " + cdbLength);
        }
        this.nexus = nexus;
        this.lun = lun;
        this.taskTag = taskTag;
        this.attribute = attribute;
        this.cdbLength = cdbLength;
        this.expectedDataTransferLength = expectedDataTransferLength;
        this.readDirection = read;
        this.writeDirection = write;
        this.status = ScsiStatus.GOOD;
        this.senseLength = 0;
        this.residual = 0;
        this.overflow = false;
        this.inlineAllowed = false;
        return this;
    }

    public ItNexus nexus() { return nexus; }
    public int lun() { return lun; }
    public long taskTag() { return taskTag; }
    public Attribute attribute() { return attribute; }
    /** The CDB bytes; only the first {@link #cdbLength()} are meaningful. */
    public byte[] cdb() { return cdb; }
    public int cdbLength() { return cdbLength; }
    public long expectedDataTransferLength() { return expectedDataTransferLength; }
    public boolean isRead() { return readDirection; }
    public boolean isWrite() { return writeDirection; }

    public ByteBuffer dataOut() { return dataOut; }
    public ScsiTask dataOut(ByteBuffer b) { this.dataOut = b; return this; }
    public ByteBuffer dataIn() { return dataIn; }
    public ScsiTask dataIn(ByteBuffer b) { this.dataIn = b; return this; }
    public Consumer<ScsiTask> callback() { return callback; }
    public ScsiTask callback(Consumer<ScsiTask> c) { this.callback = c; return this; }
    public Object transportContext() { return transportContext; }
    public ScsiTask transportContext(Object o) { this.transportContext = o; return this; }

    /**
     * Transport hint (cleared by {@link #reset}): the target may execute this task on the thread that
     * submits it, before {@code submit} returns, when it can do so without waiting for anything slower
     * than a memory or page-cache read (a small READ on an idle logical unit whose
     * {@link io.evasan.scsi.lu.LogicalUnit#fastReads()} is true). A transport sets it when it has no
     * other command of the nexus outstanding (a lone command gains nothing from a hand-off to a worker
     * thread and back; concurrent ones run in parallel on the workers). The callback may then run
     * before {@code submit} returns, on the submitting thread.
     */
    public boolean inlineAllowed() { return inlineAllowed; }
    public ScsiTask inlineAllowed(boolean on) { this.inlineAllowed = on; return this; }

    /** SAM status byte, see {@link ScsiStatus}. */
    public int status() { return status; }
    public void status(int s) { this.status = s; }
    /** Sense data bytes; the first {@link #senseLength()} are valid when status is CHECK CONDITION. */
    public byte[] sense() { return sense; }
    public int senseLength() { return senseLength; }
    public void senseLength(int n) { this.senseLength = n; }
    /** Bytes expected but not transferred (underflow) or not expected but wanted (overflow). */
    public long residual() { return residual; }
    public boolean residualOverflow() { return overflow; }
    public void residual(long r, boolean overflow) { this.residual = r; this.overflow = overflow; }

    /** Completes the task: invokes the callback. Called by the target exactly once. */
    public void complete() {
        callback.accept(this);
    }
}
