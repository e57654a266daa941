package main

import "sync"

// queue hands inputs from JavaScript callbacks to the main loop without
// ever blocking a callback: push appends and wakes, take empties.
type queue struct {
	mu   sync.Mutex
	in   []input
	wake chan struct{}
}

func newQueue() *queue { return &queue{wake: make(chan struct{}, 1)} }

func (q *queue) push(in input) {
	q.mu.Lock()
	q.in = append(q.in, in)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *queue) take() []input {
	q.mu.Lock()
	defer q.mu.Unlock()
	in := q.in
	q.in = nil
	return in
}
