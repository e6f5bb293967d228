package io.evasan.raid;

import io.evasan.raid.drive.DriveOpener;
import io.evasan.raid.io.ChannelOpener;

/**
 * The I/O seams of a pool: how it opens its drives and its metadata files (journal). Production
 * uses {@link #DEFAULT}; power-cut tests pass fault-injecting openers.
 */
public record PoolIo(DriveOpener drives, ChannelOpener files) {
    public static final PoolIo DEFAULT = new PoolIo(DriveOpener.FILES, ChannelOpener.DEFAULT);
}
