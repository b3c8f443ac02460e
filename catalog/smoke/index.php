<?php
// The php-fpm-8.4 smoke test's script: FPM runs it for a FastCGI request.
echo 'answered by ', PHP_SAPI, ', PHP ', PHP_VERSION, ', opcache ', var_export(extension_loaded('Zend OPcache'), true), "\n";
