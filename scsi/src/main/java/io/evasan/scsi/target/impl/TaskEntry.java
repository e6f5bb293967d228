package io.evasan.scsi.target.impl;

import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiTask;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.LunVisibility;
import io.evasan.scsi.target.VendorRequest;

import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;

/**
 * The target's bookkeeping for one submitted {@link ScsiTask}: its LU context, abort flag and
 * completion latch. Pooled by the target.
 */
final class TaskEntry implements Runnable, VendorRequest {
    ScsiTask task;
    Nexus nexus;
    LuContext lu;
    DiskTarget target;
    volatile boolean aborted;
    volatile CountDownLatch done;
    ByteBuffer vendorScratch;
    /**
     * Set by the executor when the command's answer waits for the LU (an asynchronous flush): the
     * target then completes the task when it completes ({@link #pendingUsed} bytes consumed on success).
     */
    java.util.concurrent.CompletableFuture<Void> pending;
    long pendingUsed;
    long pendingStart;

    void init(DiskTarget target, ScsiTask task, Nexus nexus, LuContext lu) {
        this.target = target;
        this.task = task;
        this.nexus = nexus;
        this.lu = lu;
        this.aborted = false;
        this.done = null;
        this.pending = null;
    }

    boolean ordered() {
        return task.attribute() == ScsiTask.Attribute.ORDERED;
    }

    boolean headOfQueue() {
        return task.attribute() == ScsiTask.Attribute.HEAD_OF_QUEUE;
    }

    @Override
    public void run() {
        target.runTask(this);
    }

    @Override public byte[] cdb() { return task.cdb(); }
    @Override public int cdbLength() { return task.cdbLength(); }
    @Override public ItNexus nexus() { return nexus; }
    @Override public int hostLun() { return task.lun(); }
    @Override public LogicalUnit logicalUnit() { return lu.lu; }
    @Override public LunVisibility visibility() { return LunVisibility.of(target.masking, nexus.initiatorName()); }

    @Override
    public ByteBuffer dataOut() {
        ByteBuffer b = task.dataOut();
        return b == null ? ByteBuffer.allocate(0) : b.duplicate();
    }

    @Override
    public ByteBuffer dataIn() {
        return vendorScratch;
    }
}
