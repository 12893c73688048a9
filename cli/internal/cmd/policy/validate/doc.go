// Package validate implements `vend policy validate`.
package validate
