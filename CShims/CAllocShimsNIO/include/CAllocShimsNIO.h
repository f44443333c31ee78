// C support for AllocShimNIO's route table (Sources/AllocShimNIO/NIORouteTable.swift).
//
// SwiftNIO's custom ByteBufferAllocator takes context-free C functions, so the only way for an
// allocate function to know which allocator it serves is to *be* a different function per
// routing slot. This target holds those functions (made by the preprocessor, one per slot),
// the slots themselves (one atomic word each: the route an allocate function reads without a
// lock) and the reader registry that lets a writer know when no thread can still be using
// the route it just unpublished (a grace period, as in RCU).
#ifndef CALLOCSHIMSNIO_H
#define CALLOCSHIMSNIO_H

#include <stddef.h>
#include <stdint.h>

#if !defined(__clang__)  // nullability annotations are for Swift's importer (clang)
#define _Nullable
#define _Nonnull
#endif

/// How many routing slots (and allocate functions) there are: the route capacity of
/// AllocShimNIO, owned here and read by Swift as `NIORouteTable.capacity`.
#define CALLOCSHIMSNIO_ROUTE_CAPACITY 1024

/// What every allocate function calls: the slot's current route word (loaded with acquire
/// ordering), the slot, and NIO's byte count.
typedef void *_Nullable (*CAllocShimsNIO_RouteAllocate)(uintptr_t routeWord, int slot, size_t byteCount);

/// An allocate function as NIO's ByteBufferAllocator takes it.
typedef void *_Nullable (*CAllocShimsNIO_AllocateFunction)(size_t byteCount);

/// The route capacity, for Swift (macros with values are imported, but a function documents it).
int CAllocShimsNIO_route_capacity(void);

/// Installs the function every allocate function calls. Call once, before any allocate
/// function is handed out.
void CAllocShimsNIO_set_route_allocate(CAllocShimsNIO_RouteAllocate _Nonnull allocate);

/// The allocate function of `slot` (0 ..< capacity).
CAllocShimsNIO_AllocateFunction _Nonnull CAllocShimsNIO_allocate_function(int slot);

/// The slot's route word now (acquire): 0 for "no route", otherwise what was published.
uintptr_t CAllocShimsNIO_slot_load(int slot);

/// Publishes `word` in the slot and returns the word it replaces (sequentially consistent, so
/// that a reader entering after it finds the new word; see `CAllocShimsNIO_wait_for_readers`).
uintptr_t CAllocShimsNIO_slot_exchange(int slot, uintptr_t word);

/// Marks this thread as reading a slot whose route may be unpublished and released meanwhile.
/// Returns the token to give to `CAllocShimsNIO_read_end`. A store to this thread's own record
/// (a cache line no other reader writes); no shared write.
uint64_t *_Nonnull CAllocShimsNIO_read_begin(void);

/// Ends the read begun by `CAllocShimsNIO_read_begin`.
void CAllocShimsNIO_read_end(uint64_t *_Nonnull token);

/// Returns once every read that was in progress when it was called has ended: after a slot's
/// word was exchanged, no thread can still hold the old word without having taken its own
/// reference. Readers' windows are a few instructions, so this spins briefly (yielding).
void CAllocShimsNIO_wait_for_readers(void);

#endif
