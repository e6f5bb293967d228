package io.evasan.raid.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;

/**
 * How metadata files written through a {@link FileChannel} (the RAID5 journal, the PLDMC map log)
 * are opened: the seam tests replace with {@code PowerCutFiles}, whose channels keep unforced
 * writes in a volatile layer that a simulated power cut drops, tears or reorders.
 */
@FunctionalInterface
public interface ChannelOpener {
    FileChannel open(Path path, OpenOption... options) throws IOException;

    ChannelOpener DEFAULT = FileChannel::open;
}
