package io.evasan.iscsi.impl;

import io.evasan.iscsi.tmf.ManagedTask;
import io.evasan.scsi.ScsiTask;

import java.nio.ByteBuffer;

/**
 * Transport state of one SCSI command of a connection: the reused {@link ScsiTask}, its data
 * buffers and the Data-Out/R2T bookkeeping. Confined to the connection's event loop except while
 * submitted (then owned by the ScsiTarget until the callback). Invariant: {@code received} counts
 * the Data-Out bytes accepted in order; the task is submitted exactly once, when
 * {@code received == expectedLength} for writes. As a {@link ManagedTask} its tag is the ITT and its
 * abort state is kept by {@code TaskManagement}.
 */
final class Command implements ManagedTask {
    final ScsiTask task = new ScsiTask();
    int itt;
    long lunField;
    int lun;
    int cmdSN;
    boolean read;
    boolean write;
    int expectedLength;
    /** When the command PDU arrived (nanoTime): the start of the latency the portal meters record. */
    long startNanos;
    ByteBuffer dataOut;
    /** dataOut is a view of received bytes (not from the pool, never released to it). */
    boolean dataOutBorrowed;
    /** Pool bytes charged to the connection's buffer budget for this command. */
    long accounted;
    ByteBuffer dataIn;
    int received;
    /** Unsolicited Data-Out still expected (F=0 on the command, TTT 0xffffffff). */
    boolean unsolicitedPhase;
    int unsolicitedDataSN;
    /** Next offset for which an R2T has not been sent yet. */
    int nextR2tOffset;
    int r2tSN;
    int outstandingR2T;
    boolean submitted;
    boolean aborted;
    /** An ABORT TASK for this command is with the ScsiTarget. */
    boolean abortPending;
    /** The target completed the command while {@link #abortPending}. */
    boolean heldCompletion;
    boolean inUse;
    /** Set when the connection closed while the ScsiTarget owned the task. */
    boolean orphaned;

    void clear() {
        itt = 0;
        lunField = 0;
        lun = 0;
        cmdSN = 0;
        read = false;
        write = false;
        expectedLength = 0;
        dataOut = null;
        dataOutBorrowed = false;
        accounted = 0;
        dataIn = null;
        received = 0;
        unsolicitedPhase = false;
        unsolicitedDataSN = 0;
        nextR2tOffset = 0;
        r2tSN = 0;
        outstandingR2T = 0;
        submitted = false;
        aborted = false;
        abortPending = false;
        heldCompletion = false;
        orphaned = false;
    }

    @Override
    public int lun() {
        return lun;
    }

    @Override
    public long tag() {
        return itt & 0xffffffffL;
    }

    @Override
    public boolean submitted() {
        return submitted;
    }

    @Override
    public boolean live() {
        return inUse;
    }

    @Override
    public boolean aborted() {
        return aborted;
    }

    @Override
    public void aborted(boolean aborted) {
        this.aborted = aborted;
    }

    @Override
    public boolean abortPending() {
        return abortPending;
    }

    @Override
    public void abortPending(boolean pending) {
        this.abortPending = pending;
    }

    @Override
    public boolean heldCompletion() {
        return heldCompletion;
    }

    @Override
    public void heldCompletion(boolean held) {
        this.heldCompletion = held;
    }

    /** One outstanding R2T: the burst [offset, offset+length) solicited under a target transfer tag. */
    static final class R2t {
        Command cmd;
        int ttt;
        int offset;
        int length;
        int received;
        int nextDataSN;
    }
}
