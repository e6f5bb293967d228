/**
 * The quorum lease of a two-controller cell (fencing): who may write shared storage when the two
 * controllers cannot talk. A fixed 4 KiB region at the end of every quorum area
 * ({@link io.evasan.mld.lease.LeaseDescriptor}), one pair of blocks per controller, read and
 * written on a majority of the areas ({@link io.evasan.mld.lease.LeaseStore}); the algorithm
 * ({@link io.evasan.mld.lease.DiskLease}) needs no synchronised clocks; the write path asks its
 * {@link io.evasan.mld.lease.Fence} before every write.
 */
package io.evasan.mld.lease;
